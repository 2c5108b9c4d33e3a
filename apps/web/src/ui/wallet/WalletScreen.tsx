import { useCallback, useEffect, useState } from 'react';
import { navigate } from '../../app/router.js';
import { useSession } from '../../app/session-context.js';
import type { Wallet, WalletHistoryLine } from '../../state/types.js';
import { decimalsOf, rememberDecimals } from '../../state/wallet-decimals.js';
import { formatAmount } from '../../state/wallet-amounts.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Icon } from '../common/Icon.js';
import { Spinner } from '../common/Spinner.js';
import { clockTime } from '../common/time-format.js';
import { useShownError } from '../common/use-shown-error.js';

const KIND_WORDS: Readonly<Record<string, string>> = {
  transfer: 'Transfer',
  deposit: 'Deposit',
  'deposit.reversal': 'Deposit reversed',
  'withdrawal.reserve': 'Withdrawal',
  'withdrawal.fail': 'Withdrawal returned',
  'escrow.hold': 'Held in escrow',
  'escrow.release': 'From escrow',
  'escrow.refund': 'Escrow refunded',
  'trade.swap': 'Trade',
};

/**
 * Balances per asset and the history of my money, kept current by the
 * live `wallet.balance` events. Deposit (address and QR) and withdrawal
 * are the chain side's: their panel goes in `wallet-chain-actions`.
 */
export function WalletScreen() {
  const { backend } = useSession();
  const errors = useShownError();
  const [wallet, setWallet] = useState<Wallet | null>(null);
  const [history, setHistory] = useState<readonly WalletHistoryLine[]>([]);

  const load = useCallback(async () => {
    try {
      const [fresh, lines] = await Promise.all([backend.wallet(), backend.walletHistory()]);
      rememberDecimals(fresh.assets);
      setWallet(fresh);
      setHistory(lines);
    } catch (error) {
      errors.show(error);
    }
  }, [backend, errors.show]);

  useEffect(() => {
    void load();
    return backend.onWalletBalance(() => void load());
  }, [backend, load]);

  return (
    <section className="page wallet-page" aria-label="Wallet">
      <header className="pane-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate({ name: 'chats' })} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <div className="pane-title">
          <h2>Wallet</h2>
        </div>
      </header>
      <div className="page-body">
        <ErrorNotice slot={errors} />
        {!wallet ? (
          <Spinner label="Loading wallet" />
        ) : (
          <>
            <ul className="wallet-balances" aria-label="Balances">
              {wallet.balances.map((balance) => (
                <li key={balance.asset} className="wallet-balance" data-asset={balance.asset}>
                  <span className="wallet-asset">{wallet.assets.find((asset) => asset.asset === balance.asset)?.name ?? balance.asset}</span>
                  <strong className="wallet-amount" data-testid={`balance-${balance.asset}`}>
                    {formatAmount(balance.amount, decimalsOf(balance.asset))} {balance.asset}
                  </strong>
                </li>
              ))}
            </ul>
            <div className="wallet-chain-actions" data-testid="wallet-chain-actions">
              {/* Deposit address with QR and the withdraw form (chain side) go here. */}
              <p className="hint">Send money to someone from your chat with them: the coin button at the top of the chat.</p>
            </div>
            <h3 className="section-title">History</h3>
            {history.length === 0 ? (
              <p className="hint">Nothing yet.</p>
            ) : (
              <ul className="wallet-history" aria-label="History">
                {history.map((line) => (
                  <li key={`${line.transactionId}:${line.asset}`} className="wallet-history-line">
                    <span>{KIND_WORDS[line.kind] ?? line.kind}</span>
                    <time dateTime={line.createdAt}>{clockTime(line.createdAt)}</time>
                    <strong className={line.amount.startsWith('-') ? 'amount-out' : 'amount-in'}>
                      {line.amount.startsWith('-') ? '' : '+'}
                      {formatAmount(line.amount, decimalsOf(line.asset))} {line.asset}
                    </strong>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
    </section>
  );
}
