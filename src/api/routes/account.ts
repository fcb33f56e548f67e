/** GET /api/account/summary, /positions, /pnl: optional ?account=, default the first managed account. */
import { z } from 'zod';
import type { GatewayClient } from '../../core/client/interface.js';
import { AccountPnL, AccountSummary, Position } from '../../core/models.js';
import { AccountQuery } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function accountRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/account/summary',
    secured('read', 'account', 'Balances, margin and buying power', { querystring: AccountQuery, response: { 200: AccountSummary, ...errorResponses } }),
    (request) => client.getAccountSummary(request.query.account),
  );
  app.get(
    '/api/account/positions',
    secured('read', 'account', 'Open positions with market value and P&L', { querystring: AccountQuery, response: { 200: z.array(Position), ...errorResponses } }),
    (request) => client.getPositions(request.query.account),
  );
  app.get(
    '/api/account/pnl',
    secured('read', 'account', 'Daily, unrealised and realised P&L, per symbol', { querystring: AccountQuery, response: { 200: AccountPnL, ...errorResponses } }),
    (request) => client.getPnl(request.query.account),
  );
}
