import { navigate } from '../../app/router.js';
import { Icon } from '../common/Icon.js';
import { clockTime, durationWords } from '../common/time-format.js';
import { useSystemStatus } from './use-system-status.js';

const TONE: Readonly<Record<string, string>> = {
  healthy: 'good',
  up: 'good',
  closed: 'good',
  degraded: 'warn',
  halfOpen: 'warn',
  'half-open': 'warn',
  isolated: 'warn',
  unhealthy: 'bad',
  down: 'bad',
  open: 'bad',
};

/** The admin's view of this server process: health, dependencies, breakers, load, changes. */
export function SystemHealth() {
  const { health, figures, alerts, problem, updatedAt } = useSystemStatus();
  const rate = (value: number | undefined) => (value === undefined ? '—' : value < 10 ? value.toFixed(1) : Math.round(value).toString());
  const count = (value: number | undefined) => (value === undefined ? '—' : String(value));
  return (
    <section className="page" aria-label="System health">
      <header className="pane-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate({ name: 'chats' })} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <div className="pane-title">
          <h2>System health</h2>
          <p className="subtitle">{updatedAt ? `Updated ${clockTime(new Date(updatedAt).toISOString())} · every 3 s` : 'Loading…'}</p>
        </div>
      </header>
      <div className="page-body">
        {problem && (
          <p className="notice notice-error" role="alert">
            {problem}
          </p>
        )}
        <div className="stat-grid">
          <Stat label="Status" value={capitalized(health?.status ?? '—')} tone={TONE[health?.status ?? ''] ?? 'muted'} testId="health-status" />
          <Stat label="Uptime" value={health?.uptimeSeconds === undefined ? '—' : durationWords(health.uptimeSeconds)} />
          <Stat label="WebSocket connections" value={count(figures?.webSocketConnections)} testId="ws-connections" />
          <Stat label="Wire connections" value={count(figures?.wireConnections)} />
          <Stat label="Requests / s" value={rate(figures?.requestsPerSecond)} />
          <Stat label="Server errors / s" value={rate(figures?.errorsPerSecond)} tone={(figures?.errorsPerSecond ?? 0) > 0 ? 'bad' : undefined} />
          <Stat label="Messages / s" value={rate(figures?.messagesPerSecond)} />
          <Stat label="Deliveries / s" value={rate(figures?.deliveriesPerSecond)} />
        </div>
        <section className="card">
          <h3>Roles running</h3>
          <ul className="tag-list">{(health?.roles ?? []).map((role) => <li key={role} className="tag">{role}</li>)}</ul>
        </section>
        <div className="two-columns">
          <section className="card">
            <h3>Dependencies</h3>
            <StateTable rows={Object.entries(health?.checks ?? {}).map(([name, check]) => ({ name, state: check.status, detail: check.detail ?? (check.essential ? 'essential' : 'optional') }))} empty="No checks reported." />
          </section>
          <section className="card">
            <h3>Circuit breakers</h3>
            <StateTable rows={Object.entries({ ...figures?.breakers, ...health?.breakers }).map(([name, state]) => ({ name, state }))} empty="No breakers reported." />
          </section>
        </div>
        <section className="card">
          <h3>Recent alerts</h3>
          {alerts.length === 0 ? (
            <p className="muted">No changes since this page was opened.</p>
          ) : (
            <ul className="alerts">
              {alerts.map((alert) => (
                <li key={`${alert.at}:${alert.text}`} className={`alert alert-${alert.level}`}>
                  <time>{clockTime(new Date(alert.at).toISOString())}</time> {alert.text}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function Stat({ label, value, tone, testId }: { readonly label: string; readonly value: string; readonly tone?: string; readonly testId?: string }) {
  return (
    <div className={`stat${tone ? ` stat-${tone}` : ''}`}>
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

function StateTable({ rows, empty }: { readonly rows: readonly { readonly name: string; readonly state: string; readonly detail?: string }[]; readonly empty: string }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="state-table">
      <tbody>
        {rows.map((row) => (
          <tr key={row.name}>
            <th scope="row">{row.name}</th>
            <td>
              <span className={`status-pill status-${TONE[row.state] ?? 'muted'}`}>{row.state}</span>
            </td>
            <td className="muted">{row.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
