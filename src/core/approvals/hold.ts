/**
 * Holding an order for approval. It has passed every check an order passes
 * (validation, risk, gates) when it gets here; instead of being sent it is
 * recorded as PENDING_APPROVAL with an expiry, and a person is told. Nothing
 * reaches the broker: no broker order id is even allocated (IBKR wants ids to
 * grow, and the order may be approved after others were placed).
 */
import { randomBytes } from 'node:crypto';
import type { OrderResult } from '../models.js';
import type { Assessment } from '../orders/assess.js';
import { auditRow, requestOf, type OrderContext } from '../orders/context.js';
import { resultFrom } from '../orders/mapping.js';
import { approvalNeed, type ApprovalNeed } from './policy.js';
import { APPROVAL_ID_PREFIX, readApproval, specHashOf, type PendingMeta } from './records.js';

/** Who placed (or decides) an order: the API key by name, else the interface. Four eyes compares these. */
export function actorIdentity(ctx: Pick<OrderContext, 'request'>): string {
  const request = requestOf(ctx);
  return request.apiKeyName !== null ? `key:${request.apiKeyName}` : request.interface;
}

/** Whether the assessed order must wait, and why. */
export function approvalNeedFor(ctx: OrderContext, a: Assessment): ApprovalNeed {
  const notional = a.riskChecks.find((c) => c.name === 'maxOrderNotional')?.value;
  return approvalNeed(ctx.config, ctx.approvals.rules, {
    keyName: requestOf(ctx).apiKeyName,
    symbol: a.spec.symbol,
    notional: typeof notional === 'number' ? notional : null,
    now: ctx.clock.now(),
  });
}

export async function holdForApproval(ctx: OrderContext, a: Assessment, need: ApprovalNeed, idempotencyKey: string | null): Promise<OrderResult> {
  const approvalId = `${APPROVAL_ID_PREFIX}${randomBytes(6).toString('hex')}`;
  const now = ctx.clock.now();
  const request = requestOf(ctx);
  const meta: PendingMeta = {
    specHash: specHashOf({ spec: a.spec, accountId: a.accountId }),
    requestedBy: actorIdentity(ctx),
    requestedVia: request.interface,
    requestedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ctx.config.approvals.expirySeconds * 1000).toISOString(),
    reasons: need.reasons,
  };
  const message = `Held for approval until ${meta.expiresAt}: another key with the approve scope must approve ${approvalId} (${need.reasons.join('; ')}). Nothing was sent.`;
  const { order } = await ctx.audit.recordOrder(
    auditRow(ctx, 'APPROVAL_PENDING', { spec: a.spec, contract: a.contract, role: 'ENTRY', referencePrice: a.referencePrice, riskChecks: a.riskChecks, idempotencyKey, approval: meta }, { accountId: a.accountId, orderId: approvalId, snapshot: a.gate.snapshot }),
    {
      orderId: approvalId,
      // The order sent at approval claims the clientOrderId (it is the broker's orderRef); the spec keeps it meanwhile.
      clientOrderId: null,
      parentOrderId: null,
      role: 'ENTRY',
      accountId: a.accountId,
      conId: a.contract.conId,
      status: 'PENDING_APPROVAL',
      spec: a.spec,
      filledQuantity: 0,
      remainingQuantity: a.spec.quantity,
      avgFillPrice: null,
      commission: null,
      fills: [],
      statusMessage: message,
      correlationId: request.correlationId,
      createdAt: meta.requestedAt,
      // In this broker connection's scope, so it is listed with its orders; never sent until approved.
      brokerIdentity: ctx.identityFor(a.accountId),
      expectNew: true,
    },
  );
  ctx.metrics.ordersByStatus.inc({ status: 'PENDING_APPROVAL' });
  ctx.logger.info({ approvalId, reasons: need.reasons, expiresAt: meta.expiresAt }, 'order held for approval');
  ctx.approvals.notifier.notify({ event: 'approval.requested', approval: await readApproval(ctx, approvalId), correlationId: request.correlationId });
  return resultFrom(order, [], request.correlationId, message);
}
