/**
 * Deciding an order held for approval: approve (assess again, then send),
 * reject, expire, withdraw, and the kill switch rejecting them all.
 *
 * Four eyes: the key that placed an order can never decide it. An approval is
 * bound to the order's spec hash: the hash the approver saw (if given) and the
 * hash recorded at request time must both match the order as it stands.
 *
 * One decision at a time per approval, across processes: the decision claims
 * the approval's id in the store's idempotency table (scope approvals.decide)
 * before it changes anything, and the approval is marked APPROVED, naming the
 * broker order id, before that order's row is written and sent. So a replayed
 * or concurrent approval can never send the order twice; a replay answers with
 * the decision already taken.
 */
import { Decimal } from '../money.js';
import type { AuditStore } from '../audit/types.js';
import { ApprovalError } from '../errors.js';
import { ApproveRequest, RejectRequest, type Approval, type ApprovalDecision, type ApproveRequestInput, type AuditEventType, type CancelResult, type OrderDetail, type RejectRequestInput } from '../models.js';
import { assess, type Assessment } from '../orders/assess.js';
import { auditRow, requestOf, writeFor, type OrderContext } from '../orders/context.js';
import { resultFrom, versionFrom } from '../orders/mapping.js';
import { parseInput } from '../orders/parse.js';
import { transmitApproved } from '../orders/place.js';
import { actorIdentity } from './hold.js';
import { approvalFrom, readApproval, specHashOf } from './records.js';
import type { ApprovalEventName } from './webhook.js';
import { claimKey } from '../orders/claims.js';

const DECIDE_SCOPE = 'approvals.decide';
/** Every decision claims under one owner: whoever decides, the claim only serialises them. */
const OWNER = 'approvals';

export async function approveOrder(ctx: OrderContext, approvalId: string, input: ApproveRequestInput = {}): Promise<ApprovalDecision> {
  const request = parseInput(ApproveRequest, input, 'Approval');
  await expireDue(ctx);
  const before = await readApproval(ctx, approvalId);
  assertFourEyes(ctx, before, 'approve');
  if (before.state !== 'PENDING') return decided(ctx, before, 'APPROVED');
  if (request.specHash !== undefined && request.specHash !== before.specHash) {
    throw new ApprovalError('APPROVAL_SPEC_MISMATCH', `Approval ${approvalId} is for a different order than the one you reviewed (spec hash ${before.specHash}); review it again`, {
      approvalId,
      specHash: before.specHash,
      given: request.specHash,
    });
  }
  if (!(await claim(ctx, approvalId))) return decidedOrBusy(ctx, approvalId, 'APPROVED');
  // Set by the steps below (one inside a callback): what the catch must finish.
  const settled: { as: 'APPROVED' | 'REJECTED' | null } = { as: null };
  try {
    const order = await pendingOrder(ctx, approvalId);
    if (!order) {
      await ctx.audit.releaseIdempotent(DECIDE_SCOPE, approvalId, writeFor(ctx));
      return decided(ctx, await readApproval(ctx, approvalId), 'APPROVED');
    }
    if (specHashOf(order) !== before.specHash) {
      throw new ApprovalError('APPROVAL_SPEC_MISMATCH', `Order ${approvalId} no longer matches the order that was requested; it needs a new approval`, { approvalId, specHash: before.specHash });
    }
    const a = await assess(ctx, order.spec);
    const check = reassessment(ctx, before, a);
    await ctx.audit.append(auditRow(ctx, 'APPROVAL_REASSESSED', { ...check, riskChecks: a.riskChecks, by: actorIdentity(ctx) }, { accountId: order.accountId, orderId: approvalId, snapshot: a.gate.snapshot }));
    if (check.rejects.length > 0) {
      const reason = `Re-assessment at approval failed: ${check.rejects.join('; ')}`;
      await settle(ctx, order, 'REJECTED', 'APPROVAL_REJECTED', { by: 'system', reason, requestedApprovalBy: actorIdentity(ctx) }, reason);
      settled.as = 'REJECTED';
      await complete(ctx, approvalId, 'REJECTED');
      notify(ctx, 'approval.rejected', await readApproval(ctx, approvalId));
      throw new ApprovalError('APPROVAL_REASSESSMENT_FAILED', `${reason}. The order was rejected; nothing was sent.`, { approvalId, rejected: true, problems: check.rejects });
    }
    if (check.holds.length > 0) {
      throw new ApprovalError('APPROVAL_REASSESSMENT_FAILED', `Not approved: ${check.holds.join('; ')}. The order is still pending: review it again, or reject it.`, {
        approvalId,
        rejected: false,
        problems: check.holds,
        referencePrice: before.referencePrice,
        currentPrice: a.referencePrice,
      });
    }
    const by = actorIdentity(ctx);
    const result = await transmitApproved(
      ctx,
      a,
      {
        approvalId,
        onIds: async (orderId) => {
          await settle(ctx, order, 'APPROVED', 'APPROVAL_APPROVED', { by, reason: request.reason ?? null, orderId, specHash: before.specHash }, `Approved by ${by}; sent as order ${orderId}`);
          settled.as = 'APPROVED';
        },
      },
      null,
    );
    await complete(ctx, approvalId, 'APPROVED');
    const approval = await readApproval(ctx, approvalId);
    notify(ctx, 'approval.approved', approval);
    return { approval, order: result, idempotentReplay: false, correlationId: requestOf(ctx).correlationId };
  } catch (err) {
    if (settled.as === null) await ctx.audit.releaseIdempotent(DECIDE_SCOPE, approvalId, writeFor(ctx));
    else if (settled.as === 'APPROVED') {
      // Approved and handed to the broker: the order's own status tells the rest (UNKNOWN is reconciled, never resent).
      await complete(ctx, approvalId, 'APPROVED');
      notify(ctx, 'approval.approved', await readApproval(ctx, approvalId));
    }
    throw err;
  }
}

export async function rejectOrder(ctx: OrderContext, approvalId: string, input: RejectRequestInput): Promise<ApprovalDecision> {
  const request = parseInput(RejectRequest, input, 'Rejection');
  await expireDue(ctx);
  const before = await readApproval(ctx, approvalId);
  assertFourEyes(ctx, before, 'reject');
  if (before.state !== 'PENDING') return decided(ctx, before, 'REJECTED');
  if (!(await claim(ctx, approvalId))) return decidedOrBusy(ctx, approvalId, 'REJECTED');
  const order = await pendingOrder(ctx, approvalId);
  if (!order) {
    await ctx.audit.releaseIdempotent(DECIDE_SCOPE, approvalId, writeFor(ctx));
    return decided(ctx, await readApproval(ctx, approvalId), 'REJECTED');
  }
  const by = actorIdentity(ctx);
  await settle(ctx, order, 'REJECTED', 'APPROVAL_REJECTED', { by, reason: request.reason }, `Rejected by ${by}: ${request.reason}`);
  await complete(ctx, approvalId, 'REJECTED');
  const approval = await readApproval(ctx, approvalId);
  notify(ctx, 'approval.rejected', approval);
  return { approval, order: null, idempotentReplay: false, correlationId: requestOf(ctx).correlationId };
}

/** The requester (or anyone with trade) withdraws an order before it is decided: CANCELLED, nothing was ever sent. */
export async function withdrawPending(ctx: OrderContext, order: OrderDetail): Promise<CancelResult> {
  const correlationId = requestOf(ctx).correlationId;
  if (!(await claim(ctx, order.orderId))) throw new ApprovalError('APPROVAL_IN_PROGRESS', `Order ${order.orderId} is being decided right now; retry shortly`, { approvalId: order.orderId });
  const current = await pendingOrder(ctx, order.orderId);
  if (!current) {
    await ctx.audit.releaseIdempotent(DECIDE_SCOPE, order.orderId, writeFor(ctx));
    const now = await ctx.audit.getOrder(order.orderId);
    const status = now?.status ?? order.status;
    return { orderId: order.orderId, status, cancelled: status === 'CANCELLED', message: `Order ${order.orderId} was already decided (${status})`, correlationId };
  }
  const by = actorIdentity(ctx);
  await settle(ctx, current, 'CANCELLED', 'ORDER_CANCELLED', { by, reason: 'withdrawn before approval' }, `Withdrawn by ${by} before approval; nothing was sent`);
  await complete(ctx, order.orderId, 'CANCELLED');
  notify(ctx, 'approval.cancelled', await readApproval(ctx, order.orderId));
  return { orderId: order.orderId, status: 'CANCELLED', cancelled: true, message: `Order ${order.orderId} withdrawn before approval; nothing was sent`, correlationId };
}

/** Why an approval of `account` may no longer wait for a stop: the switch just engaged (killReason, for killAccount or all), or one engaged in the store. */
async function killReasonFor(ctx: OrderContext, account: string | null, killReason: string | undefined, killAccount: string | null): Promise<string | null> {
  if (killReason !== undefined && (killAccount === null || killAccount === account)) return killReason;
  const state = await ctx.killSwitch.effective(account);
  return state.engaged ? `kill switch engaged (${state.reason ?? 'no reason'})` : null;
}

/**
 * Rejects what may no longer wait: approvals past their expiry (APPROVAL_EXPIRED)
 * and, while the kill switch is engaged, every pending approval. Runs on a
 * timer and before every read or decision, so a restart or a second process
 * settles them too. Returns the ids it settled.
 */
export async function expireDue(ctx: OrderContext, killReason?: string, killAccount: string | null = null): Promise<string[]> {
  // The sweep runs every second: skip the open-order query while nothing was committed and nothing is due.
  const mark = await ctx.audit.changeMark();
  const known = quiet.get(ctx.audit);
  if (killReason === undefined && known?.mark === mark && ctx.clock.now() < known.nextDue) return [];
  const pending = await ctx.audit.heldOrders(ctx.scope());
  let nextDue = Number.POSITIVE_INFINITY;
  if (pending.length === 0) {
    quiet.set(ctx.audit, { mark, nextDue });
    return [];
  }
  const now = ctx.clock.now();
  const settled: string[] = [];
  for (const order of pending) {
    const kill = await killReasonFor(ctx, order.accountId, killReason, killAccount);
    const approval = approvalFrom(order, (await ctx.audit.query({ orderId: order.orderId, limit: 1000 })).entries);
    const expired = Date.parse(approval.expiresAt) <= now;
    if (kill === null && !expired) {
      nextDue = Math.min(nextDue, Date.parse(approval.expiresAt));
      continue;
    }
    if (!(await claim(ctx, order.orderId))) continue;
    const current = await pendingOrder(ctx, order.orderId);
    if (!current) {
      await ctx.audit.releaseIdempotent(DECIDE_SCOPE, order.orderId, writeFor(ctx));
      continue;
    }
    if (kill !== null) {
      const reason = `Rejected: ${kill}`;
      await settle(ctx, current, 'REJECTED', 'APPROVAL_REJECTED', { by: 'system', reason, killSwitch: true }, reason);
      await complete(ctx, order.orderId, 'REJECTED');
      notify(ctx, 'approval.rejected', await readApproval(ctx, order.orderId));
    } else {
      const reason = `APPROVAL_EXPIRED: not approved by ${approval.expiresAt}`;
      await settle(ctx, current, 'REJECTED', 'APPROVAL_EXPIRED', { by: 'system', reason, code: 'APPROVAL_EXPIRED' }, reason);
      await complete(ctx, order.orderId, 'EXPIRED');
      notify(ctx, 'approval.expired', await readApproval(ctx, order.orderId));
    }
    settled.push(order.orderId);
  }
  // Settling wrote rows (the mark moved): the next call looks again, which finds nothing left to do.
  quiet.set(ctx.audit, { mark: settled.length > 0 ? '' : mark, nextDue });
  return settled;
}

/**
 * Per client (keyed by its store, which every request's order context shares): the store's change mark when the
 * sweep last found nothing to settle, and the earliest expiry then pending.
 */
const quiet = new WeakMap<AuditStore, { mark: string; nextDue: number }>();

/** What re-assessment found: problems that reject the order, and problems that only stop this approval. */
function reassessment(ctx: OrderContext, before: Approval, a: Assessment): { rejects: string[]; holds: string[]; referencePrice: number | null; currentPrice: number | null; movePercent: number | null; tolerancePercent: number } {
  const rejects: string[] = [];
  const holds: string[] = [];
  if (a.gate.outcome !== 'TRANSMIT') rejects.push(`the safety gates say ${a.gate.outcome}${a.gate.reason ? ` (${a.gate.reason})` : ''}`);
  for (const c of a.riskChecks.filter((x) => !x.passed)) rejects.push(`risk check ${c.name} fails now (${c.message})`);
  const tolerance = ctx.config.approvals.priceTolerancePercent;
  let move: number | null = null;
  if (before.referencePrice !== null && a.referencePrice !== null && before.referencePrice !== 0) {
    move = new Decimal(a.referencePrice).minus(before.referencePrice).abs().dividedBy(before.referencePrice).times(100).toDecimalPlaces(4).toNumber();
    if (move > tolerance) holds.push(`the price moved ${move}% (from ${before.referencePrice} to ${a.referencePrice}) since the order was requested, beyond the ${tolerance}% tolerance`);
  }
  return { rejects, holds, referencePrice: before.referencePrice, currentPrice: a.referencePrice, movePercent: move, tolerancePercent: tolerance };
}

function assertFourEyes(ctx: OrderContext, approval: Approval, action: 'approve' | 'reject'): void {
  const actor = actorIdentity(ctx);
  if (actor === approval.requestedBy) {
    throw new ApprovalError('APPROVAL_OWN_ORDER', `Four eyes: ${actor} placed order ${approval.approvalId} and cannot ${action} it; another key with the approve scope must decide`, {
      approvalId: approval.approvalId,
      requestedBy: approval.requestedBy,
    });
  }
}

/** The answer for an approval that is no longer pending: a replay of the same decision, or why not. */
async function decided(ctx: OrderContext, approval: Approval, wanted: 'APPROVED' | 'REJECTED'): Promise<ApprovalDecision> {
  const correlationId = requestOf(ctx).correlationId;
  if (approval.state === wanted) {
    const sent = approval.orderId !== null ? await ctx.audit.getOrder(approval.orderId) : null;
    return { approval, order: sent ? { ...resultFrom(sent, [], correlationId, sent.statusMessage), idempotentReplay: true } : null, idempotentReplay: true, correlationId };
  }
  if (approval.state === 'EXPIRED') throw new ApprovalError('APPROVAL_EXPIRED', `Approval ${approval.approvalId} expired at ${approval.expiresAt}; the order was rejected and nothing was sent`, { approvalId: approval.approvalId });
  throw new ApprovalError('APPROVAL_DECIDED', `Approval ${approval.approvalId} is already ${approval.state}${approval.decisionReason ? ` (${approval.decisionReason})` : ''}`, {
    approvalId: approval.approvalId,
    state: approval.state,
  });
}

async function decidedOrBusy(ctx: OrderContext, approvalId: string, wanted: 'APPROVED' | 'REJECTED'): Promise<ApprovalDecision> {
  const now = await readApproval(ctx, approvalId);
  if (now.state === 'PENDING') throw new ApprovalError('APPROVAL_IN_PROGRESS', `Approval ${approvalId} is being decided right now; retry shortly`, { approvalId });
  return decided(ctx, now, wanted);
}

async function pendingOrder(ctx: OrderContext, approvalId: string): Promise<OrderDetail | null> {
  const order = await ctx.audit.getOrder(approvalId);
  return order?.status === 'PENDING_APPROVAL' ? order : null;
}

/** Claims the right to decide; false while another decision holds it (or after one completed). */
async function claim(ctx: OrderContext, approvalId: string): Promise<boolean> {
  // A decision its gateway abandoned while the order still waited is taken over (claims.ts): nothing was sent (APPROVED is written first).
  const { claim: got } = await claimKey(ctx, {
    scope: DECIDE_SCOPE,
    key: approvalId,
    owner: OWNER,
    requestHash: 'decide',
    mayTakeOver: async () => (await pendingOrder(ctx, approvalId)) !== null,
  });
  return got.kind === 'new';
}

async function complete(ctx: OrderContext, approvalId: string, outcome: string): Promise<void> {
  await ctx.audit.completeIdempotent(DECIDE_SCOPE, approvalId, { outcome }, writeFor(ctx));
}

/** The held order's final version and the decision's audit row, in one transaction. */
async function settle(ctx: OrderContext, order: OrderDetail, status: 'APPROVED' | 'REJECTED' | 'CANCELLED', event: AuditEventType, data: Record<string, unknown>, message: string): Promise<void> {
  const correlationId = requestOf(ctx).correlationId;
  await ctx.audit.recordOrder(
    auditRow(ctx, event, data, { accountId: order.accountId, orderId: order.orderId, snapshot: null }),
    versionFrom(order, { status, statusMessage: message, remainingQuantity: 0 }, [], correlationId),
  );
  ctx.metrics.ordersByStatus.inc({ status });
}

function notify(ctx: OrderContext, event: ApprovalEventName, approval: Approval): void {
  ctx.approvals.notifier.notify({ event, approval, correlationId: requestOf(ctx).correlationId });
}

