/**
 * Prompts: the three conversations people start most, written so the agent
 * uses the tools in the safe order (read, preview, confirm, place, check).
 * A prompt only shapes the request; every call still goes through the
 * gateway's scopes, gates, risk limits and audit log.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const say = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'review_portfolio',
    {
      title: 'Review my portfolio',
      description: 'A read-only review of the account: balances, positions, P&L, concentration and margin headroom. Places nothing.',
      argsSchema: { focus: z.string().max(200).optional().describe('Anything to look at closely, e.g. "tech exposure" or "today\'s losers"') },
    },
    ({ focus }) =>
      say(
        [
          'Review my Interactive Brokers portfolio through ibkr-gateway. Read only: do not preview or place any order.',
          '1. Call get_account_status (balances and positions) and get_pnl.',
          '2. Report net liquidation, cash, buying power and excess liquidity; today\'s, unrealized and realized P&L.',
          '3. For each position: size, average cost, market value, unrealized P&L and its share of net liquidation. Flag any position over 20% of net liquidation, any short, and any option or future near expiry.',
          '4. Say how much margin headroom is left (excess liquidity as a share of net liquidation) and whether the kill switch is engaged (get_health if unsure).',
          focus ? `5. Look closely at: ${focus}.` : '5. End with the two or three things most worth my attention.',
        ].join('\n'),
      ),
  );

  server.registerPrompt(
    'place_order_safely',
    {
      title: 'Place an order safely',
      description: 'Preview an order, show the estimate and risk checks, wait for my explicit yes, then place it with the previewId and report its status.',
      argsSchema: {
        symbol: z.string().min(1).max(32).describe('Symbol, e.g. AAPL'),
        action: z.enum(['BUY', 'SELL']).describe('BUY or SELL'),
        quantity: z.string().regex(/^\d+(\.\d+)?$/).describe('How many shares or contracts'),
        orderType: z.enum(['MKT', 'LMT', 'STP', 'STP_LMT']).optional().describe('Order type; default LMT'),
        limitPrice: z.string().regex(/^\d+(\.\d+)?$/).optional().describe('Limit price for LMT / STP_LMT'),
      },
    },
    ({ symbol, action, quantity, orderType, limitPrice }) =>
      say(
        [
          `I want to ${action} ${quantity} ${symbol}${orderType ? ` as a ${orderType} order` : ''}${limitPrice ? ` at ${limitPrice}` : ''}.`,
          '1. Call get_quote for the symbol and tell me bid, ask and last.',
          `2. Call preview_order with these fields${orderType ? '' : ' (a LMT order; propose a limit at the touch and ask me if unsure)'}. Show me the estimated commission, the margin change, the equity after, and every risk check with its value and limit.`,
          '3. Stop and ask me to confirm. Do not place anything until I answer yes to this exact order.',
          '4. On yes: call place_order with the same fields and the previewId from step 2 (never a new previewId, never without one).',
          '5. Call get_order_status and tell me the status in plain words. SIMULATED means it was recorded but not sent (orders are disabled on this gateway).',
          'If any step fails, tell me the error code and its hint, and do not retry place_order with different fields on your own.',
        ].join('\n'),
      ),
  );

  server.registerPrompt(
    'explain_order_audit',
    {
      title: 'Explain an order\'s audit trail',
      description: 'Reads the audit log for one order (admin key) and tells its story: who asked, which checks ran, what was sent, what the broker answered.',
      argsSchema: { orderId: z.string().min(1).max(64).describe('The order id, e.g. 1000001 or SIM-...') },
    },
    ({ orderId }) =>
      say(
        [
          `Explain what happened to order ${orderId}.`,
          `1. Call get_order_status for ${orderId}, then query_audit_log with orderId ${orderId} (it needs an admin key; if it answers FORBIDDEN, explain from the order status alone and say so).`,
          '2. Tell the story in time order: who placed it (interface and key name), the risk checks and gate decision, whether it was transmitted, each status change and fill with price and commission, and any cancel or kill-switch event.',
          '3. Quote the correlation id so the logs can be searched, and say whether anything looks wrong (a rejection, a partial fill left working, an UNKNOWN status).',
        ].join('\n'),
      ),
  );
}
