import type { Message } from '../../state/types.js';
import { formatAmount } from '../../state/wallet-amounts.js';
import { Icon } from '../common/Icon.js';

/** A `transfer` message: money sent in this chat, the same on both sides but for the direction. */
export function TransferBubble({
  transfer,
  mine,
  decimalsOf,
}: {
  readonly transfer: NonNullable<Message['transfer']>;
  readonly mine: boolean;
  readonly decimalsOf: (asset: string) => number;
}) {
  const amount = `${formatAmount(transfer.amount, decimalsOf(transfer.asset))} ${transfer.asset}`;
  return (
    <span className="transfer-bubble" data-transfer-id={transfer.id} data-testid="transfer-bubble">
      <Icon name="coin" size={28} />
      <span className="transfer-words">
        <strong className="transfer-amount">{amount}</strong>
        <span className="transfer-direction">{mine ? 'Sent' : 'Received'}</span>
      </span>
    </span>
  );
}
