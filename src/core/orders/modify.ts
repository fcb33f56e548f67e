/**
 * Modifying a working order (IBKR semantics: same order id, new version). The
 * new version takes the path a new order takes, in the same order:
 *
 *   validate -> idempotency claim -> preview binding -> risk (on the new
 *   version; the old one leaves the working-order exposure) -> safety gates and
 *   kill switch -> (SIMULATE: record, done) -> ORDER_MODIFY_REQUESTED row ->
 *   send -> ORDER_MODIFIED or ORDER_MODIFY_REJECTED with the broker's answer
 *
 * Only the broker's answer decides: a modification racing a fill is refused
 * when the broker says the order filled first (409 ORDER_NOT_MODIFIABLE) and
 * the fill is recorded. A modification names absolute values, so sending the
 * same one twice changes nothing more; an Idempotency-Key still answers a
 * retry with the first result.
 */
import { inScope } from '../audit/scope.js';
import type { ModifyOrderAck } from '../broker/port.js';
import { ApprovalError, AuditError, BrokerConnectionError, fromZodIssues, GatewayError, IdempotencyConflictError, OrderError, OrderNotFoundError, OrderOwnedElsewhereError, OrderRejectedError, RiskLimitError, toGatewayError, ValidationError } from '../errors.js';
import { assertNotBlocked } from '../gates.js';
import type { PlaceOptions } from '../client/interface.js';
import { hashOf } from '../hashing.js';
import { approvalNeedFor } from '../approvals/hold.js';
import { Decimal, toCents } from '../money.js';
import {
  ModifyOrderRequest,
  OrderModification,
  OrderSpec,
  TERMINAL_STATUSES,
  type ModificationPreview,
  type ModifyOrderInput,
  type ModifyResult,
  type OrderDetail,
  type OrderModificationInput,
} from '../models.js';
import { assess, type Assessment } from './assess.js';
import { auditRow, requestOf, writeFor, type OrderContext } from './context.js';
import { versionFrom } from './mapping.js';
import { applyBrokerState, updateFrom } from './order-events.js';
import { withOrderLock } from './order-lock.js';
import { callerIdentity } from './place.js';
import { estimateFields } from './preview.js';
import { claimKey } from './claims.js';

export const MODIFY_SCOPE = 'orders.modify';

/** Checks that only concern new orders: a modification is the same order, so it cannot duplicate itself. */
const NEW_ORDER_ONLY = new Set(['duplicateOrder']);

type Stored = { kind: 'result'; result: ModifyResult } | { kind: 'error'; code: GatewayError['code']; message: string; details: unknown };

class AfterTransmit extends Error {
  constructor(readonly inner: GatewayError) {
    super(inner.message);
  }
}

/** The working order and its new version, checked; throws ORDER_NOT_FOUND, ORDER_NOT_MODIFIABLE or VALIDATION_ERROR. */
async function planModification(ctx: OrderContext, orderId: string, changes: OrderModification): Promise<{ current: OrderDetail; next: OrderSpec }> {
  const current = await ctx.audit.getOrder(orderId);
  if (!current) throw new OrderNotFoundError(orderId);
  if (!inScope(current, ctx.scope())) throw new OrderOwnedElsewhereError(orderId, current.brokerIdentity, 'modify');
  if (current.status === 'PENDING_APPROVAL') {
    // The approval is bound to the order as requested: a changed order is a new request with its own approval.
    throw new OrderError('ORDER_NOT_MODIFIABLE', `Order ${orderId} is held for approval as requested; cancel it and place the changed order (it needs a new approval)`, { orderId, status: current.status });
  }
  if (TERMINAL_STATUSES.has(current.status) || current.status === 'UNKNOWN') {
    const why = current.status === 'SIMULATED' ? 'was only simulated (never sent)' : current.status === 'UNKNOWN' ? 'has an unknown outcome until reconciliation' : `is ${current.status}`;
    throw new OrderError('ORDER_NOT_MODIFIABLE', `Order ${orderId} ${why}; only working orders can be modified`, { orderId, status: current.status });
  }
  const merged: Record<string, unknown> = { ...current.spec };
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) merged[k] = v;
  // A GTD order made DAY or GTC has no till date any more: the new time in force replaces it.
  if (changes.timeInForce !== undefined) delete merged.goodTillDate;
  const parsed = OrderSpec.safeParse(merged);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, 'Modification');
  const next = parsed.data;
  if (next.quantity <= current.filledQuantity) {
    throw new ValidationError(`quantity ${next.quantity} must be above the ${current.filledQuantity} already filled; cancel the order to stop the rest`, [{ path: 'quantity', message: `must be > ${current.filledQuantity} (filled)` }]);
  }
  if (hashOf(next) === hashOf(current.spec)) throw new ValidationError(`The modification changes nothing in order ${orderId}`, [{ path: '', message: 'every given field already has that value' }]);
  return { current, next };
}

/** Risk sees what would work after the change: the new version's unfilled quantity. */
async function assessModification(ctx: OrderContext, current: OrderDetail, next: OrderSpec): Promise<Assessment> {
  const working: OrderSpec = { ...next, quantity: next.quantity - current.filledQuantity };
  const a = await assess(ctx, working, { replacing: current.orderId });
  const riskChecks = a.riskChecks.filter((c) => !NEW_ORDER_ONLY.has(c.name));
  return { ...a, spec: next, riskChecks, riskPassed: riskChecks.every((c) => c.passed) };
}

export async function previewModification(ctx: OrderContext, orderId: string, input: OrderModificationInput): Promise<ModificationPreview> {
  const parsed = OrderModification.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, 'Modification');
  const { current, next } = await planModification(ctx, orderId, parsed.data);
  const a = await assessModification(ctx, current, next);
  const remaining = next.quantity - current.filledQuantity;
  const whatIf = await ctx.broker.whatIf(a.contract, { ...next, quantity: remaining }, a.accountId);
  const price = a.referencePrice ?? whatIf.referencePrice;
  const { previewId, expiresAt } = ctx.previews.issue(next, orderId);
  const preview: ModificationPreview = {
    previewId,
    expiresAt,
    orderId,
    previous: current.spec,
    filledQuantity: current.filledQuantity,
    spec: next,
    referencePrice: price,
    estimatedNotional: price === null ? null : toCents(new Decimal(price).times(remaining).times(a.contract.multiplier)),
    ...estimateFields(a, whatIf),
  };
  await ctx.audit.append(auditRow(ctx, 'ORDER_PREVIEWED', { preview, modifies: orderId }, { accountId: a.accountId, orderId, snapshot: a.gate.snapshot }));
  return preview;
}

export async function modifyOrder(ctx: OrderContext, orderId: string, input: ModifyOrderInput, options: PlaceOptions = {}): Promise<ModifyResult> {
  const parsed = ModifyOrderRequest.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, 'Modification');
  const { previewId, ...changes } = parsed.data;
  const key = options.idempotencyKey ?? null;
  if (key === null) return modifyOnce(ctx, orderId, changes, previewId, null).catch(unwrap);

  const owner = callerIdentity(ctx);
  const requestHash = hashOf({ orderId, changes });
  // A claim its gateway abandoned mid-request is taken over (claims.ts): a modification sets absolute values, so sending it again is safe.
  const { claim } = await claimKey(ctx, { scope: MODIFY_SCOPE, key, owner, requestHash });
  if (claim.kind === 'replay') {
    const stored = claim.result as Stored;
    if (stored.kind === 'result') return { ...stored.result, idempotentReplay: true };
    throw new GatewayError(stored.code, stored.message, stored.details);
  }
  if (claim.kind === 'in-progress') throw new IdempotencyConflictError('A request with this idempotency key is still being processed; retry shortly', 'IDEMPOTENCY_IN_PROGRESS', { key });
  try {
    const result = await modifyOnce(ctx, orderId, changes, previewId, key);
    await ctx.audit.completeIdempotent(MODIFY_SCOPE, key, { kind: 'result', result } satisfies Stored, writeFor(ctx));
    return result;
  } catch (err) {
    if (err instanceof AfterTransmit) {
      await ctx.audit.completeIdempotent(MODIFY_SCOPE, key, { kind: 'error', code: err.inner.code, message: err.inner.message, details: err.inner.details } satisfies Stored, writeFor(ctx));
      throw err.inner;
    }
    await ctx.audit.releaseIdempotent(MODIFY_SCOPE, key, writeFor(ctx));
    throw err;
  }
}

const unwrap = (err: unknown): never => {
  throw err instanceof AfterTransmit ? err.inner : err;
};

async function modifyOnce(ctx: OrderContext, orderId: string, changes: OrderModification, previewId: string | undefined, key: string | null): Promise<ModifyResult> {
  const { current, next } = await planModification(ctx, orderId, changes);
  if (previewId !== undefined) ctx.previews.check(previewId, next, orderId);
  const a = await assessModification(ctx, current, next);
  const refs = { accountId: a.accountId, orderId, snapshot: a.gate.snapshot };
  if (!a.riskPassed) {
    const failed = a.riskChecks.filter((c) => !c.passed);
    for (const c of failed) ctx.metrics.riskBlocks.inc({ check: c.name });
    await ctx.audit.append(auditRow(ctx, 'RISK_BLOCKED', { modifies: orderId, spec: next, failedChecks: failed, riskChecks: a.riskChecks }, refs));
    throw new RiskLimitError(`Modification refused by risk limits: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}`, { failedChecks: failed });
  }
  if (a.gate.outcome === 'BLOCK') {
    await ctx.audit.append(auditRow(ctx, 'GATE_BLOCKED', { modifies: orderId, spec: next, gate: { code: a.gate.code, reason: a.gate.reason } }, refs));
    assertNotBlocked(a.gate);
  }
  const need = a.gate.outcome === 'TRANSMIT' ? approvalNeedFor(ctx, a) : null;
  if (need?.required) {
    // An approved order must stay the order that was approved: a change that would need approval is refused, never sent unapproved.
    await ctx.audit.append(auditRow(ctx, 'ORDER_MODIFY_REJECTED', { modifies: orderId, spec: next, approvalRequired: need.reasons }, refs));
    throw new ApprovalError('APPROVAL_REQUIRED', `This modification would need a person's approval (${need.reasons.join('; ')}); cancel order ${orderId} and place the changed order, which then waits for approval. Nothing was sent.`, {
      orderId,
      reasons: need.reasons,
    });
  }
  const detail = { previous: current.spec, spec: next, changes, riskChecks: a.riskChecks, idempotencyKey: key };
  const result = (spec: OrderSpec, o: OrderDetail, modified: boolean, message: string | null): ModifyResult => ({
    orderId,
    status: o.status,
    modified,
    spec,
    previous: current.spec,
    filledQuantity: o.filledQuantity,
    remainingQuantity: o.remainingQuantity,
    message,
    correlationId: requestOf(ctx).correlationId,
    idempotentReplay: false,
  });
  if (a.gate.outcome === 'SIMULATE') {
    await ctx.audit.append(auditRow(ctx, 'ORDER_MODIFY_SIMULATED', { ...detail, reason: a.gate.reason }, refs));
    // Counted like a simulated placement, so a strategy tested with ORDERS_ENABLED=false meets the same rate limits.
    ctx.risk.recordModified(ctx.clock.now());
    return result(next, current, false, `Not sent: ${a.gate.reason ?? 'orders are simulated'}`);
  }
  const status = ctx.broker.status();
  if (!status.connected) throw new BrokerConnectionError(`The broker is ${status.state}; the modification was not sent`, 'BROKER_UNAVAILABLE');
  try {
    // The request is in the log before it leaves the gateway, as a new order's is.
    await ctx.audit.append(auditRow(ctx, 'ORDER_MODIFY_REQUESTED', detail, refs));
  } catch (err) {
    const gw = toGatewayError(err);
    if (gw instanceof AuditError) throw new AuditError(`The audit log could not record the modification, so nothing was sent: ${gw.message}`, 'AUDIT_UNAVAILABLE', undefined, { cause: err });
    throw gw;
  }
  // An order message to the broker: it counts toward the order-rate limits (the store counts this audit row; see risk/history.ts).
  ctx.risk.recordModified(ctx.clock.now());
  let ack: ModifyOrderAck;
  try {
    ack = await ctx.broker.modifyOrder({ orderId, contract: a.contract, spec: next, accountId: a.accountId, orderRef: current.clientOrderId ?? orderId });
  } catch (err) {
    const cause = toGatewayError(err);
    if (cause instanceof OrderNotFoundError) throw new AfterTransmit(cause);
    throw new AfterTransmit(
      new BrokerConnectionError(`The modification of order ${orderId} may or may not have reached the broker (${cause.message}); the order will be reconciled`, 'BROKER_ERROR', { orderId, cause: cause.code }),
    );
  }
  if (ack.accepted) {
    // Read and written under the order's lock, so a fill arriving meanwhile is not written over.
    const latest = await withOrderLock(ctx, orderId, async () => {
      const now = (await ctx.audit.getOrder(orderId)) ?? current;
      const filled = Math.max(now.filledQuantity, ack.state.filledQuantity);
      const version = { ...versionFrom(now, { filledQuantity: filled, remainingQuantity: Math.max(0, next.quantity - filled), statusMessage: ack.message }, now.fills, requestOf(ctx).correlationId), spec: next };
      await ctx.audit.recordOrder(auditRow(ctx, 'ORDER_MODIFIED', { previous: current.spec, spec: next, brokerStatus: ack.state.status, message: ack.message }, refs), version);
      return now;
    });
    const after = (await applyBrokerState(ctx, updateFrom(ack.state)))?.order ?? (await ctx.audit.getOrder(orderId)) ?? latest;
    return result(next, after, true, ack.message);
  }
  await ctx.audit.append(auditRow(ctx, 'ORDER_MODIFY_REJECTED', { spec: next, brokerStatus: ack.state.status, message: ack.message }, refs));
  const after = (await applyBrokerState(ctx, updateFrom(ack.state)))?.order ?? current;
  if (TERMINAL_STATUSES.has(ack.state.status)) {
    throw new AfterTransmit(new OrderError('ORDER_NOT_MODIFIABLE', `Order ${orderId} is ${ack.state.status} at the broker; the modification was not applied (${ack.message ?? 'no reason given'})`, { orderId, status: after.status }));
  }
  throw new AfterTransmit(new OrderRejectedError(`The broker refused the modification of order ${orderId}: ${ack.message ?? 'no reason given'}; the order works on unchanged`, { orderId, status: after.status }));
}
