/** Account tools: balances with positions, and P&L. Read-only. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AccountPnL, AccountSummary, Position } from '../../core/models.js';
import { guard, num, ok, signed } from '../results.js';
import { READ_ONLY, type ToolContext } from './context.js';

export const AccountArgs = z.strictObject({
  account: z.string().trim().min(1).max(32).optional().describe('Account id; omit for the default (first managed) account'),
});

export const AccountStatus = z.object({
  summary: AccountSummary,
  positions: z.array(Position),
});

export function positionLine(p: Position): string {
  return `${p.symbol} ${p.quantity} @ avg ${num(p.avgCost)} (price ${num(p.marketPrice)}, value ${num(p.marketValue)}, unrealized ${signed(p.unrealizedPnl)})`;
}

export function registerAccountTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'get_account_status',
    {
      title: 'Get account status',
      description:
        'Account balances and every open position in one call. summary: net liquidation, cash, buying power, available funds, excess liquidity, ' +
        'margin requirements and P&L, in the account currency (rounded to cents). positions: signed quantity (negative = short), average cost per unit, ' +
        'market price/value and unrealized P&L. Check buyingPower before previewing a large order.',
      inputSchema: AccountArgs,
      outputSchema: AccountStatus,
      annotations: { title: 'Get account status', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const query = { account: args.account };
        // Two independent reads; in parallel so the tool takes one round trip, not two.
        const [summary, positions] = await Promise.all([
          api.request(AccountSummary, { method: 'GET', path: '/api/account/summary', query, signal: extra.signal }),
          api.request(z.array(Position), { method: 'GET', path: '/api/account/positions', query, signal: extra.signal }),
        ]);
        const s = summary;
        const lines = [
          `Account ${s.accountId} (${s.currency}): net liquidation ${num(s.netLiquidation)}, cash ${num(s.totalCash)}, buying power ${num(s.buyingPower)}, ` +
            `available funds ${num(s.availableFunds)}, unrealized ${signed(s.unrealizedPnl)}, realized ${signed(s.realizedPnl)}.`,
          positions.length === 0 ? 'No open positions.' : `${positions.length} position(s):`,
          ...positions.map((p) => `- ${positionLine(p)}`),
        ];
        return ok({ summary, positions }, lines.join('\n'));
      }),
  );

  server.registerTool(
    'get_pnl',
    {
      title: 'Get P&L',
      description:
        'Profit and loss in the account currency: dailyPnl (since the risk-day reset, realized + unrealized), unrealizedPnl (open positions at market), ' +
        'realizedPnl (closed trades), and the same per symbol in bySymbol.',
      inputSchema: AccountArgs,
      outputSchema: AccountPnL,
      annotations: { title: 'Get P&L', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const p = await api.request(AccountPnL, { method: 'GET', path: '/api/account/pnl', query: { account: args.account }, signal: extra.signal });
        const lines = [
          `Account ${p.accountId} P&L (${p.currency}): daily ${signed(p.dailyPnl)}, unrealized ${signed(p.unrealizedPnl)}, realized ${signed(p.realizedPnl)}.`,
          ...p.bySymbol.map((d) => `- ${d.symbol} (${d.position}): daily ${signed(d.dailyPnl)}, unrealized ${signed(d.unrealizedPnl)}, realized ${signed(d.realizedPnl)}`),
        ];
        return ok(p, lines.join('\n'));
      }),
  );
}
