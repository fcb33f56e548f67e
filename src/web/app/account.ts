/** Account view: summary cards, positions with unrealised P&L, P&L by symbol; refreshed while in view. */
import { api, ApiError } from './api.js';
import { byId, fmtMoney, fmtPrice, fmtQty, fmtTime, h, pnl, replace, say, table } from './dom.js';
import type { AccountPnL, AccountSummary, Position } from './types.js';

function card(label: string, value: Node | string, note?: string): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), note ? h('div', { class: 'note' }, note) : null);
}

export async function loadAccount(): Promise<void> {
  const message = byId('account-message');
  try {
    const [summary, positions, pnlData] = await Promise.all([
      api<AccountSummary>('/api/account/summary'),
      api<Position[]>('/api/account/positions'),
      api<AccountPnL>('/api/account/pnl'),
    ]);
    byId('account-id').textContent = `${summary.accountId} · ${summary.currency}`;
    replace(
      byId('account-cards'),
      card('Net liquidation', fmtMoney(summary.netLiquidation)),
      card('Cash', fmtMoney(summary.totalCash)),
      card('Buying power', fmtMoney(summary.buyingPower), `Available funds ${fmtMoney(summary.availableFunds)}`),
      card('Margin (init / maint)', `${fmtMoney(summary.initMarginReq)} / ${fmtMoney(summary.maintMarginReq)}`, `Excess liquidity ${fmtMoney(summary.excessLiquidity)}`),
      card('Daily P&L', pnl(pnlData.dailyPnl)),
      card('Unrealised / realised', h('span', {}, pnl(summary.unrealizedPnl), ' / ', pnl(summary.realizedPnl))),
    );
    replace(
      byId('positions'),
      table(
        'Positions',
        ['Symbol', 'Type', 'Quantity', 'Avg cost', 'Price', 'Value', 'Unrealised', 'Realised'],
        positions.map((p) => [h('b', {}, p.symbol), p.securityType, fmtQty(p.quantity), fmtPrice(p.avgCost), fmtPrice(p.marketPrice), fmtMoney(p.marketValue), pnl(p.unrealizedPnl), pnl(p.realizedPnl)]),
        'No positions',
      ),
    );
    replace(
      byId('pnl'),
      table(
        'P&L by symbol',
        ['Symbol', 'Position', 'Daily', 'Unrealised', 'Realised', 'Value'],
        pnlData.bySymbol.map((r) => [h('b', {}, r.symbol), fmtQty(r.position), pnl(r.dailyPnl), pnl(r.unrealizedPnl), pnl(r.realizedPnl), fmtMoney(r.marketValue)]),
        'No P&L yet',
      ),
    );
    say(message, `Updated ${fmtTime(summary.timestamp)}`);
  } catch (err) {
    say(message, err instanceof ApiError ? `${err.code}: ${err.message}` : 'Could not load the account', 'error');
  }
}
