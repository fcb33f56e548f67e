/**
 * Approval tools for agents: read-only. An agent sees why its order waits and
 * how it was decided; deciding is a person's (dashboard, CLI, REST with an
 * approve key): there is deliberately no approve tool here.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Approval, OrderId } from '../../core/models.js';
import { guard, ok } from '../results.js';
import { READ_ONLY, type ToolContext } from './context.js';
import { describeOrder } from './orders.js';

const ApprovalArgs = z.strictObject({ approvalId: OrderId.describe('The APR-... orderId place_order answered with PENDING_APPROVAL') });

const NEXT: Record<Approval['state'], string> = {
  PENDING: 'Still waiting for a person: poll again in 15-30 s; do not place the order again.',
  APPROVED: 'Approved and sent: follow the broker order with get_order_status.',
  REJECTED: 'Rejected: nothing was sent. Tell the user the reason; place a new order only if they ask.',
  EXPIRED: 'Nobody decided in time: nothing was sent. Ask the user before placing it again.',
  CANCELLED: 'Withdrawn before approval: nothing was sent.',
};

export function registerApprovalTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'get_approval',
    {
      title: 'Get approval',
      description:
        'Where an order held for approval stands: PENDING (waiting for a person, until expiresAt), APPROVED (orderId: the broker order it was sent as), ' +
        'REJECTED (decisionReason says why), EXPIRED or CANCELLED; also why it waits (reasons) and who asked. Agents cannot approve orders.',
      inputSchema: ApprovalArgs,
      outputSchema: Approval,
      annotations: { title: 'Get approval', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const a = await api.request(Approval, { method: 'GET', path: `/api/approvals/${encodeURIComponent(args.approvalId)}`, signal: extra.signal });
        const lines = [
          `${a.approvalId}: ${describeOrder(a.spec)} is ${a.state}${a.decidedBy ? ` (by ${a.decidedBy}${a.decisionReason ? `: ${a.decisionReason}` : ''})` : ` until ${a.expiresAt}`}.`,
          ...(a.orderId ? [`Sent as broker order ${a.orderId}.`] : []),
          `Waits because: ${a.reasons.join('; ') || 'n/a'}.`,
          `Next: ${NEXT[a.state]}`,
        ];
        return ok(a, lines.join('\n'));
      }),
  );
}
