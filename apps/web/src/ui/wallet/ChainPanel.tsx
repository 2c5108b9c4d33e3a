import type { DepositAddressView, WithdrawalView } from '@kaif/protocol';
import { type FormEvent, useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';
import { toShownError } from '../../state/errors.js';

/** An asset the panel offers, with the digits of its smallest unit (18 for wei, 9 for nanoton). */
export interface ChainAsset {
  readonly code: string;
  readonly decimals: number;
}

export const DEFAULT_CHAIN_ASSETS: readonly ChainAsset[] = [
  { code: 'ETH', decimals: 18 },
  { code: 'BNB', decimals: 18 },
  { code: 'TON', decimals: 9 },
];

/** "1.5" with 18 decimals → 1500000000000000000n; undefined when it is not a positive amount with at most that many decimals. */
export function toSmallestUnits(text: string, decimals: number): bigint | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return undefined;
  const value = BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  return value > 0n ? value : undefined;
}

export function fromSmallestUnits(amount: string, decimals: number): string {
  const value = BigInt(amount).toString().padStart(decimals + 1, '0');
  const whole = value.slice(0, value.length - decimals);
  const fraction = value.slice(value.length - decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * Money on and off chain: the user's deposit address (with its QR code, and
 * the memo TON needs) and a withdraw form with the second factor when the
 * account has it on, then the user's withdrawals and their state.
 */
export function ChainPanel({
  assets = DEFAULT_CHAIN_ASSETS,
  twoFactorEnabled,
  onWithdrawn,
}: { readonly assets?: readonly ChainAsset[]; readonly twoFactorEnabled: boolean; readonly onWithdrawn?: () => void }) {
  const session = useSession();
  const errors = useShownError();
  const [asset, setAsset] = useState(assets[0]?.code ?? 'ETH');
  const [deposit, setDeposit] = useState<DepositAddressView | undefined>();
  const [depositError, setDepositError] = useState<string | undefined>();
  const [amount, setAmount] = useState('');
  const [toAddress, setToAddress] = useState('');
  const [totpCode, setTotpCode] = useState('');
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const [withdrawals, setWithdrawals] = useState<readonly WithdrawalView[]>([]);
  const decimals = assets.find((entry) => entry.code === asset)?.decimals ?? 18;

  // Nothing is asked of the chain side until the user does: a server
  // without chain endpoints answers 503, which a settings page must not cause.
  useEffect(() => {
    let live = true;
    session.backend.withdrawals().then(
      (found) => live && setWithdrawals(found),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [session.backend]);

  const showDeposit = () =>
    session.backend.depositAddress(asset).then(
      (found) => setDeposit(found),
      (error: unknown) => setDepositError(toShownError(error).message),
    );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    errors.clear();
    const units = toSmallestUnits(amount, decimals);
    if (units === undefined) {
      errors.show({ code: 'AMOUNT_INVALID', message: `Enter a positive amount with at most ${decimals} decimals` });
      return;
    }
    setBusy(true);
    try {
      await session.backend.withdraw({ asset, amount: units.toString(), toAddress: toAddress.trim(), idempotencyKey, ...(totpCode ? { totpCode: totpCode.replace(/\s/g, '') } : {}) });
      // A new key only after success: a retry of a failed or unanswered request stays the same withdrawal.
      setIdempotencyKey(crypto.randomUUID());
      setAmount('');
      setTotpCode('');
      setWithdrawals(await session.backend.withdrawals());
      onWithdrawn?.();
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="chain-title">
      <h3 id="chain-title">Deposit and withdraw</h3>
      <div className="field">
        <label htmlFor="chain-asset">Asset</label>
        <select id="chain-asset" value={asset} onChange={(event) => {
            setAsset(event.target.value);
            setDeposit(undefined);
            setDepositError(undefined);
          }}>
          {assets.map((entry) => (
            <option key={entry.code} value={entry.code}>
              {entry.code}
            </option>
          ))}
        </select>
      </div>
      {!deposit && !depositError && (
        <button type="button" className="button" onClick={() => void showDeposit()}>
          Show my {asset} deposit address
        </button>
      )}
      {depositError && <p className="notice notice-error">{depositError}</p>}
      {deposit && (
        <div className="two-factor-scan" data-testid="deposit-address">
          {deposit.qrCode && <img src={deposit.qrCode} alt={`QR code of your ${deposit.asset} deposit address`} width={180} height={180} />}
          <div>
            <span className="field-label">Your {deposit.asset} deposit address</span>
            <code className="secret">{deposit.address}</code>
            {deposit.memo && (
              <>
                <span className="field-label">Comment (memo) — required, or the deposit reaches no one</span>
                <code className="secret">{deposit.memo}</code>
              </>
            )}
          </div>
        </div>
      )}
      <form className="form" onSubmit={(event) => void submit(event)} aria-label="Withdraw">
        <Field label={`Amount (${asset})`} name="amount" value={amount} onChange={(event) => setAmount(event.target.value)} inputMode="decimal" required />
        <Field label="To address" name="toAddress" value={toAddress} onChange={(event) => setToAddress(event.target.value)} autoComplete="off" required />
        {twoFactorEnabled && (
          <Field label="Code from your authenticator app" name="totpCode" value={totpCode} onChange={(event) => setTotpCode(event.target.value)} inputMode="numeric" autoComplete="one-time-code" required />
        )}
        <ErrorNotice slot={errors} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy || errors.secondsLeft > 0}>
            Withdraw
          </button>
        </div>
      </form>
      {withdrawals.length > 0 && (
        <ul className="withdrawals" aria-label="Your withdrawals">
          {withdrawals.map((withdrawal) => (
            <li key={withdrawal.id} data-state={withdrawal.state}>
              {fromSmallestUnits(withdrawal.amount, assets.find((entry) => entry.code === withdrawal.asset)?.decimals ?? 18)} {withdrawal.asset} → <code>{withdrawal.toAddress}</code> · {withdrawal.state}
              {withdrawal.txHash && <code className="muted"> {withdrawal.txHash.slice(0, 12)}…</code>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
