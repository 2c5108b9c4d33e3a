import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import type { ChatId, UserId, Wallet } from '../../state/types.js';
import { formatAmount, parseAmount } from '../../state/wallet-amounts.js';
import { rememberDecimals } from '../../state/wallet-decimals.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';

/**
 * "Send money" in a direct chat: an amount of an asset to the other member,
 * shown to both as a transfer bubble. One idempotency key per dialog, so a
 * double click or a retry after a network error sends once.
 */
export function SendMoneyDialog({
  chatId,
  toUserId,
  toName,
  onClose,
}: {
  readonly chatId: ChatId;
  readonly toUserId: UserId;
  readonly toName: string;
  readonly onClose: () => void;
}) {
  const { backend } = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const errors = useShownError();
  const [wallet, setWallet] = useState<Wallet | null>(null);
  const [asset, setAsset] = useState('');
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const key = useRef(`send-${crypto.randomUUID()}`);

  useEffect(() => {
    dialog.current?.showModal();
    backend.wallet().then((fresh) => {
      rememberDecimals(fresh.assets);
      setWallet(fresh);
      setAsset((current) => current || (fresh.balances.find((balance) => balance.amount !== '0') ?? fresh.balances[0])?.asset || '');
    }, errors.show);
  }, [backend, errors.show]);

  const decimals = wallet?.assets.find((entry) => entry.asset === asset)?.decimals ?? 18;
  const units = parseAmount(amount, decimals);
  const available = wallet?.balances.find((balance) => balance.asset === asset)?.amount ?? '0';

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!units) return;
    setBusy(true);
    try {
      await backend.sendMoney({ toUserId, asset, amount: units, idempotencyKey: key.current, chatId });
      dialog.current?.close();
    } catch (error) {
      errors.show(error);
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} aria-labelledby="send-money-title">
      <form className="form send-money" onSubmit={submit}>
        <h2 id="send-money-title">Send money to {toName}</h2>
        <p className="form-lead">It arrives at once and shows in this chat for both of you.</p>
        <div className="field">
          <label htmlFor="send-money-asset">Asset</label>
          <select id="send-money-asset" name="asset" value={asset} onChange={(event) => setAsset(event.target.value)}>
            {wallet?.assets.map((entry) => (
              <option key={entry.asset} value={entry.asset}>
                {entry.name} ({entry.asset})
              </option>
            ))}
          </select>
        </div>
        <Field label="Amount" name="amount" inputMode="decimal" autoComplete="off" placeholder="0.0" value={amount} onChange={(event) => setAmount(event.target.value)} autoFocus />
        <p className="form-lead" data-testid="available">
          Available: {formatAmount(available, decimals)} {asset}
        </p>
        <ErrorNotice slot={errors} />
        <div className="form-actions">
          <button type="button" className="button button-quiet" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={!units || busy}>
            {busy ? 'Sending…' : 'Send'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
