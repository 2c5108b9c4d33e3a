import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { toShownError } from '../../state/errors.js';
import type { HealthReport } from '../../state/types.js';
import { type Alert, alertsBetween } from './health-alerts.js';
import { parsePrometheus } from './prometheus.js';
import { type Counters, type Figures, countersOf, figuresOf } from './system-figures.js';

const REFRESH_MS = 3000;
const KEPT_ALERTS = 20;

export interface SystemStatus {
  readonly health?: HealthReport;
  readonly figures?: Figures;
  readonly alerts: readonly Alert[];
  readonly problem?: string;
  readonly updatedAt?: number;
}

/** Polls /health and /metrics while the page is open and remembers what changed. */
export function useSystemStatus(): SystemStatus {
  const session = useSession();
  const [status, setStatus] = useState<SystemStatus>({ alerts: [] });
  const previous = useRef<{ health?: HealthReport; counters?: Counters; reachable: boolean }>({ reachable: true });

  useEffect(() => {
    let live = true;
    const poll = async () => {
      const at = Date.now();
      const [health, metrics] = await Promise.allSettled([session.backend.health(), session.backend.metrics()]);
      if (!live) return;
      const before = previous.current;
      const alerts: Alert[] = [];
      let problem: string | undefined;
      if (health.status === 'fulfilled') {
        alerts.push(...alertsBetween(before.health, health.value, at));
        if (!before.reachable) alerts.push({ at, level: 'good', text: 'Server is reachable again' });
        before.health = health.value;
        before.reachable = true;
      } else {
        problem = toShownError(health.reason).message;
        if (before.reachable) alerts.push({ at, level: 'bad', text: `Health check failed: ${problem}` });
        before.reachable = false;
      }
      let figures: Figures | undefined;
      if (metrics.status === 'fulfilled') {
        const samples = parsePrometheus(metrics.value);
        const counters = countersOf(samples, at);
        figures = figuresOf(samples, counters, before.counters);
        before.counters = counters;
      }
      setStatus((current) => ({
        health: before.health,
        figures: figures ?? current.figures,
        alerts: [...alerts.reverse(), ...current.alerts].slice(0, KEPT_ALERTS),
        problem,
        updatedAt: at,
      }));
    };
    void poll();
    const timer = setInterval(() => void poll(), REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session]);

  return status;
}
