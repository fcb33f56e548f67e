/**
 * `approvals`, `approve`, `reject`: deciding orders held for approval from a
 * terminal. `approve` shows the order first and asks on a terminal (unless
 * --yes), and sends the spec hash of what it showed, so the approval is bound
 * to that exact order. The CLI picks a key with the approve scope from
 * API_KEYS when IBKR_GATEWAY_API_KEY does not name one.
 */
import { Option, type Command } from 'commander';
import type { Approval, ApprovalDecision } from '../../core/models.js';
import { paint, printFields, printJson, printTable, type Io } from '../output.js';
import { UsageError, withClient } from '../run.js';
import { confirm, printResult } from './orders.js';

const orderText = (a: Approval): string =>
  `${a.spec.action} ${a.spec.quantity} ${a.spec.symbol} ${a.spec.orderType}${a.spec.limitPrice !== undefined ? ` lmt ${a.spec.limitPrice}` : ''} ${a.spec.timeInForce}`;

export function printApproval(io: Io, a: Approval): void {
  printFields(io, [
    ['approval', a.approvalId],
    ['state', a.state],
    ['order', orderText(a)],
    ['account', a.accountId],
    ['requested by', `${a.requestedBy} via ${a.requestedVia} at ${a.requestedAt}`],
    ['expires', a.expiresAt],
    ['waits because', a.reasons.join('; ')],
    ['price at request', a.referencePrice],
    ['spec hash', a.specHash],
    ['decided', a.decidedBy ? `${a.decidedBy} at ${a.decidedAt ?? '?'}${a.decisionReason ? `: ${a.decisionReason}` : ''}` : null],
    ['sent as order', a.orderId],
  ]);
  io.stdout.write('\n');
  printTable(io, ['risk check', 'ok', 'value', 'limit'], a.riskChecks.map((c) => [c.name, c.passed ? paint(io, 'green', 'pass') : paint(io, 'red', 'FAIL'), c.value, c.limit]));
}

function printDecision(io: Io, d: ApprovalDecision): void {
  io.stdout.write(`${d.approval.approvalId} ${d.approval.state}${d.idempotentReplay ? ' (already decided; nothing new was sent)' : ''}\n`);
  if (d.order) printResult(io, d.order);
}

export function registerApprovalCommands(program: Command): void {
  program
    .command('approvals')
    .description('Orders held for approval (pending by default)')
    .addOption(new Option('--state <which>', 'which approvals').choices(['pending', 'decided', 'all']).default('pending'))
    .option('--json', 'print JSON')
    .action(async (o: { state: 'pending' | 'decided' | 'all'; json?: boolean }) =>
      withClient(
        async (client, io) => {
          const list = await client.listApprovals({ state: o.state });
          if (o.json) return printJson(io, list);
          printTable(
            io,
            ['approval', 'state', 'order', 'requested by', 'expires', 'decided by'],
            list.map((a) => [a.approvalId, a.state, orderText(a), a.requestedBy, a.expiresAt, a.decidedBy]),
          );
        },
        { json: o.json, prefer: 'approve' },
      ),
    );

  program
    .command('approve')
    .description('Approve an order held for approval: shown first, then assessed again and sent (never by the key that placed it)')
    .argument('<approvalId>')
    .option('--reason <text>', 'recorded with the approval')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (approvalId: string, o: { reason?: string; yes?: boolean; json?: boolean }) =>
      withClient(
        async (client, io) => {
          if (!o.yes && !(io.isTTY && process.stdin.isTTY)) throw new UsageError('approve needs confirmation: run it in a terminal, or pass --yes');
          const approval = await client.getApproval(approvalId);
          if (!o.yes) {
            printApproval(io, approval);
            if (!(await confirm(io, '\nApprove and send this order?'))) {
              io.stderr.write('Not approved.\n');
              return;
            }
          }
          const d = await client.approveOrder(approvalId, { specHash: approval.specHash, ...(o.reason ? { reason: o.reason } : {}) });
          if (o.json) return printJson(io, d);
          printDecision(io, d);
        },
        { json: o.json, prefer: 'approve' },
      ),
    );

  program
    .command('reject')
    .description('Reject an order held for approval; nothing is sent')
    .argument('<approvalId>')
    .requiredOption('--reason <text>', 'why (recorded and notified)')
    .option('--json', 'print JSON')
    .action(async (approvalId: string, o: { reason: string; json?: boolean }) =>
      withClient(
        async (client, io) => {
          const d = await client.rejectOrder(approvalId, { reason: o.reason });
          if (o.json) return printJson(io, d);
          printDecision(io, d);
        },
        { json: o.json, prefer: 'approve' },
      ),
    );
}
