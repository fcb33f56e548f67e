/**
 * Placing an order. The order of steps is the safety argument:
 *
 *   validate -> idempotency look-up -> preview binding -> risk -> safety gates
 *   -> (SIMULATE: claim + record, done) -> (approval needed: claim, hold, done)
 *   -> CLAIM + IDS + AUDIT ROWS (one durable transaction) -> transmit
 *
 * The key is looked at first (a replay or a request still in progress is
 * answered before anything is assessed) but claimed only in the transaction
 * that records the order (recordNewOrders): one write before transmit instead
 * of three, and a claim that is checked where the order is written, so a
 * duplicate racing in another process writes nothing and gets 409 or the
 * replay, and a claim another gateway took over meanwhile sends nothing.
 *
 * An order held for approval is sent later by approvals/decide.ts, through
 * transmitApproved() below, after it has been assessed again.
 *
 * The audit row is written before anything leaves the gateway; if it cannot
 * be written, nothing is sent. Once an order may have reached the broker its
 * idempotency key is never given back, so a retry can never send it twice.
 */
import { randomBytes } from 'node:crypto';
import type { PlaceOrderAck } from '../broker/port.js';
import {
  AuditError,
  BrokerConnectionError,
  GatewayError,
  IdempotencyConflictError,
  OrderIdInUseError,
  OrderRejectedError,
  RiskLimitError,
  toGatewayError,
} from '../errors.js';
import { assertNotBlocked } from '../gates.js';
import type { PlaceOptions, PlaceOrderInput } from '../client/interface.js';
import { hashOf, inCanonicalOrder } from '../hashing.js';
import { parseOnce, parseOnceWith } from '../parse-once.js';
import { PlaceOrderRequest, type OrderDetail, type OrderResult, type OrderSpec } from '../models.js';
import { assess, type Assessment } from './assess.js';
import { auditRow, requestOf, writeFor, type OrderContext } from './context.js';
import { bracketChildren, type PlannedOrder } from './brackets.js';
import { resultFrom } from './mapping.js';
import { applyBrokerState } from './order-events.js';
import { queueOrderUpdate } from './order-lock.js';
import { riskKeyOf } from '../risk/history.js';
import { approvalNeedFor, holdForApproval } from '../approvals/hold.js';
import { openClaim } from './claims.js';
import { allocateOrderIds, idReservation } from './order-ids.js';
import type { FoldedClaim, IdempotencyClaimed, NewOrderRow, NewOrdersRequest } from '../audit/types.js';

export const PLACE_SCOPE = 'orders.place';
// A flat schema: its outputs may be marked parsed by the route that validated them.
parseOnceWith(PlaceOrderRequest);
const SCOPE = PLACE_SCOPE;
const RELAXED = { durability: 'relaxed' } as const;

/** Marks a failure that happened after the order may have reached the broker. */
class AfterTransmit extends Error {
  constructor(readonly inner: GatewayError) {
    super(inner.message);
  }
}

/** The key's claim was found to be another request's (or answered) while recording: nothing was written. */
class ClaimedElsewhere extends Error {
  constructor(readonly claim: IdempotencyClaimed) {
    super('idempotency key claimed elsewhere');
  }
}

type Stored = { kind: 'result'; result: OrderResult } | { kind: 'error'; code: GatewayError['code']; message: string; details: unknown };

/** A placement's idempotency key, and whether this request holds it yet (then it is completed or released at the end). */
interface PlaceKey {
  claim: FoldedClaim;
  held: boolean;
  /** The result (or error) is stored already: it was written with the order's last status versions (completeWithAnswer). */
  completed?: boolean;
}

export async function placeOrder(ctx: OrderContext, input: PlaceOrderInput, options: PlaceOptions = {}): Promise<OrderResult> {
  // A body the REST route has just parsed with this schema is not parsed again (parse-once.ts).
  const { previewId, ...spec } = parseOnce(PlaceOrderRequest, input, 'Order');
  const accountId = ctx.resolveAccount(spec.account);

  // Without an Idempotency-Key, the clientOrderId is the key: it is unique per account.
  const key = options.idempotencyKey ?? (spec.clientOrderId !== undefined ? `coid:${accountId}:${spec.clientOrderId}` : null);
  if (key === null) return placeOnce(ctx, spec, previewId, accountId, null).catch(unwrap);

  const opened = await openClaim(ctx, { scope: SCOPE, key, owner: callerIdentity(ctx), requestHash: hashOf({ spec, accountId }) });
  if (opened.kind === 'answered') return answer(opened.claim, key);
  const placing: PlaceKey = { claim: opened.claim, held: opened.held };
  if (opened.abandonedSince !== null) {
    // Taken over from a gateway that died mid-request. The order is in the log if and
    // only if it may have been sent (the log is written first): settle from there.
    const orphan = await recoverOrphan(ctx, key, opened.abandonedSince);
    if (orphan) {
      await ctx.audit.completeIdempotent(SCOPE, key, { kind: 'result', result: orphan } satisfies Stored, writeFor(ctx));
      return { ...orphan, idempotentReplay: true };
    }
  }
  // A replay of this key was answered above; a new key must not reuse another order's clientOrderId.
  const taken = options.idempotencyKey !== undefined && spec.clientOrderId !== undefined ? await ctx.audit.findOrderByClientOrderId(accountId, spec.clientOrderId) : null;
  if (taken) {
    if (placing.held) await ctx.audit.releaseIdempotent(SCOPE, key, writeFor(ctx));
    throw new IdempotencyConflictError(`clientOrderId ${spec.clientOrderId ?? ''} is already used by order ${taken.orderId}`, 'IDEMPOTENCY_CONFLICT', { orderId: taken.orderId });
  }
  try {
    const result = await placeOnce(ctx, spec, previewId, accountId, placing);
    // If a power cut loses the stored result, the order itself is in the log and recoverOrphan finds it.
    if (placing.held && placing.completed !== true) await ctx.audit.completeIdempotent(SCOPE, key, { kind: 'result', result } satisfies Stored, writeFor(ctx, RELAXED));
    return result;
  } catch (err) {
    if (err instanceof ClaimedElsewhere) return answer(err.claim, key);
    if (err instanceof AfterTransmit) {
      if (placing.completed === true) throw err.inner;
      await ctx.audit.completeIdempotent(SCOPE, key, { kind: 'error', code: err.inner.code, message: err.inner.message, details: err.inner.details } satisfies Stored, writeFor(ctx));
      throw err.inner;
    }
    // Nothing reached the broker: a retry (after fixing the cause) may place it.
    if (placing.held) {
      await ctx.audit.releaseIdempotent(SCOPE, key, writeFor(ctx));
      throw err;
    }
    // Never claimed: if a request with this key got further meanwhile (this one raced it), answer as it does.
    const now = await ctx.audit.peekIdempotent(SCOPE, key, placing.claim.owner, placing.claim.requestHash).catch(() => null);
    if (now !== null) return answer(now, key);
    throw err;
  }
}

/** The answer to a request whose key another request has: that request's stored answer, or 409 while it runs. */
function answer(claim: IdempotencyClaimed, key: string): OrderResult {
  if (claim.kind === 'replay') return replay(claim.result as Stored);
  throw new IdempotencyConflictError('A request with this idempotency key is still being processed; retry shortly', 'IDEMPOTENCY_IN_PROGRESS', { key });
}

/**
 * Who owns an idempotency key: the API key (by name) for REST and MCP callers,
 * whatever interface they came through; the interface itself for callers
 * without one (the library has its own scope). Another caller's replay is refused.
 */
export function callerIdentity(ctx: Pick<OrderContext, 'request'>): string {
  const request = requestOf(ctx);
  return request.apiKeyName !== null ? `key:${request.apiKeyName}` : request.interface;
}

const unwrap = (err: unknown): never => {
  throw err instanceof AfterTransmit ? err.inner : err;
};

/** The order a crashed request recorded under this key, as the result it would have returned. */
async function recoverOrphan(ctx: OrderContext, key: string, since: string): Promise<OrderResult | null> {
  // Every order the request recorded (entry and bracket children) carries its key.
  const recorded = new Set<string>();
  let parentOrderId: string | null = null;
  let correlationId = '';
  for (let afterId: number | undefined; ; ) {
    const page = await ctx.audit.query({ from: since, afterId, limit: 500 });
    for (const entry of page.entries) {
      const placed = entry.eventType === 'ORDER_SUBMITTED' || entry.eventType === 'ORDER_SIMULATED' || entry.eventType === 'APPROVAL_PENDING';
      if (!placed || entry.orderId === null || entry.eventData.idempotencyKey !== key) continue;
      recorded.add(entry.orderId);
      if (entry.eventData.role === 'ENTRY') {
        parentOrderId = entry.orderId;
        correlationId = entry.correlationId;
      }
    }
    if (page.nextAfterId === null) break;
    afterId = page.nextAfterId;
  }
  const parent = parentOrderId === null ? null : await ctx.audit.getOrder(parentOrderId);
  if (!parent) return null;
  const children = await ordersOf(ctx, [...recorded].filter((id) => id !== parent.orderId));
  return resultFrom(parent, children, correlationId, 'Recovered after a restart: this request was interrupted after the order was recorded');
}

function replay(stored: Stored): OrderResult {
  if (stored.kind === 'result') return { ...stored.result, idempotentReplay: true };
  throw new GatewayError(stored.code, stored.message, stored.details);
}

async function placeOnce(ctx: OrderContext, spec: OrderSpec, previewId: string | undefined, accountId: string, placing: PlaceKey | null): Promise<OrderResult> {
  if (previewId !== undefined) ctx.previews.check(previewId, spec);
  const a = await assess(ctx, spec);
  const refs = { accountId, orderId: null, snapshot: a.gate.snapshot };
  if (!a.riskPassed) {
    const failed = a.riskChecks.filter((c) => !c.passed);
    for (const c of failed) ctx.metrics.riskBlocks.inc({ check: c.name });
    await ctx.audit.append(auditRow(ctx, 'RISK_BLOCKED', { spec, failedChecks: failed, riskChecks: a.riskChecks }, refs));
    throw new RiskLimitError(`Order refused by risk limits: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}`, { failedChecks: failed });
  }
  if (a.gate.outcome === 'BLOCK') {
    await ctx.audit.append(auditRow(ctx, 'GATE_BLOCKED', { spec, gate: { code: a.gate.code, reason: a.gate.reason } }, refs));
    assertNotBlocked(a.gate);
  }
  const planned = bracketChildren(spec);
  if (a.gate.outcome === 'SIMULATE') return simulate(ctx, a, planned, placing);
  // Only an order that would be sent waits for a person: a simulated one reaches nobody.
  const need = approvalNeedFor(ctx, a);
  if (need.required) {
    if (placing !== null) await claimBeforeHold(ctx, placing);
    return holdForApproval(ctx, a, need, placing?.claim.key ?? null);
  }
  return transmit(ctx, a, planned, placing?.claim.key ?? null, placing);
}

/** Holding for approval writes its own row (approvals/hold.ts), so the key is claimed on its own first. */
async function claimBeforeHold(ctx: OrderContext, placing: PlaceKey): Promise<void> {
  if (placing.held) return;
  const { scope, key, owner, requestHash } = placing.claim;
  // The claim reaches the disk with the durable APPROVAL_PENDING row that follows it (WAL order).
  const begun = await ctx.audit.beginIdempotent(scope, key, owner, requestHash, writeFor(ctx, RELAXED));
  if (begun.kind !== 'new') throw new ClaimedElsewhere(begun);
  placing.held = true;
}

/** Sending an approved order: the approval is recorded (by `onIds`) once the broker ids are known and before any order row, so a crash can never leave it approvable twice. */
export interface ApprovedSend {
  approvalId: string;
  onIds(parentId: string): Promise<void>;
}

/** Sends an order held for approval, assessed again just now. Errors are the order path's (a failure after sending says so). */
export async function transmitApproved(ctx: OrderContext, a: Assessment, approved: ApprovedSend, idempotencyKey: string | null): Promise<OrderResult> {
  return transmit(ctx, a, bracketChildren(a.spec), idempotencyKey, null, approved).catch(unwrap);
}

async function simulate(ctx: OrderContext, a: Assessment, planned: PlannedOrder[], placing: PlaceKey | null): Promise<OrderResult> {
  const base = `SIM-${randomBytes(6).toString('hex')}`;
  const ids = planned.map((p) => (p.role === 'ENTRY' ? base : `${base}-${p.role === 'TAKE_PROFIT' ? 'TP' : 'SL'}`));
  const rows = planned.map((p) => orderRow(ctx, a, p, 'SIMULATED', a.gate.reason, placing?.claim.key ?? null));
  const { orders } = await recordNew(ctx, placing, { rows: () => withIds(rows, ids) });
  ctx.risk.recordPlaced(a.spec, a.accountId, ctx.clock.now());
  ctx.metrics.ordersByStatus.inc({ status: 'SIMULATED' });
  const [parent, ...children] = orders as [OrderDetail, ...OrderDetail[]];
  return resultFrom(parent, children, requestOf(ctx).correlationId, a.gate.reason);
}

async function transmit(ctx: OrderContext, a: Assessment, planned: PlannedOrder[], key: string | null, placing: PlaceKey | null, approved?: ApprovedSend): Promise<OrderResult> {
  const status = ctx.broker.status();
  if (!status.connected) throw new BrokerConnectionError(`The broker is ${status.state}; nothing was sent`, 'BROKER_UNAVAILABLE');
  // Built here, in this request's context (its correlation id and caller); the ids are filled in when reserved.
  const rows = planned.map((p) => orderRow(ctx, a, p, 'PENDING_SUBMIT', a.gate.warning, key, approved?.approvalId));
  // The audit rows come first, durable (awaited: committed and fsync'd): an order that is not in the log is never sent.
  // Nor is one whose idempotency claim another gateway might judge abandoned (a lapsed lease).
  let ids: string[];
  if (approved) {
    // From the store-wide sequence (order-ids.ts): unique across every gateway on this store.
    ids = await allocateOrderIds(ctx, planned.length);
    // Ids another broker's orders already have in this store (two brokers on one DATA_DIR) are never written over.
    const [taken] = await ordersOf(ctx, ids);
    if (taken) throw new OrderIdInUseError(taken.orderId, taken.brokerIdentity);
    await approved.onIds(ids[0] ?? '');
    ctx.instance.assertLease();
    await recordNew(ctx, null, { rows: () => withIds(rows, ids) });
  } else {
    // Claim, ids (store-wide sequence, order-ids.ts) and rows in one transaction; a reused id is refused inside it (expectNew).
    const reserve = await idReservation(ctx, planned.length);
    ctx.instance.assertLease();
    ids = (await recordNew(ctx, placing, { reserve, rows: (reserved) => withIds(rows, reserved) })).ids;
  }
  const idFor = (i: number): string => ids[i] ?? '';
  const parentId = idFor(0);
  ctx.risk.recordPlaced(a.spec, a.accountId, ctx.clock.now());

  let ack: PlaceOrderAck;
  try {
    ack = await ctx.broker.placeOrder({
      ids: { orderId: parentId, takeProfitOrderId: childId(planned, ids, 'TAKE_PROFIT'), stopLossOrderId: childId(planned, ids, 'STOP_LOSS') },
      contract: a.contract,
      spec: a.spec,
      accountId: a.accountId,
      orderRef: a.spec.clientOrderId ?? parentId,
    });
  } catch (err) {
    const cause = toGatewayError(err);
    for (let i = 0; i < planned.length; i++) await markUnknown(ctx, idFor(i), cause.message);
    throw new AfterTransmit(
      new BrokerConnectionError(`Order ${parentId} may or may not have reached the broker (${cause.message}); it is recorded as UNKNOWN and will be reconciled. Do not resend it.`, 'BROKER_ERROR', { orderId: parentId, cause: cause.code }),
    );
  }
  // From here the order is at the broker: a failure must keep the idempotency key (AfterTransmit), never free it for a resend.
  const applied = Promise.all([ack, ...ack.children].map((s) => applyBrokerState(ctx, { orderId: s.orderId, status: s.status, message: s.message })));
  const placed = ids.slice(0, planned.length);
  const answerOf = answerFrom(parentId, requestOf(ctx).correlationId, a.gate.warning ?? ack.message);
  if (placing?.held === true && key !== null) return completeWithAnswer(ctx, placing, key, placed, applied, answerOf);
  await applied.catch((err: unknown) => {
    throw new AfterTransmit(toGatewayError(err));
  });
  const orders = await Promise.all(placed.map((id) => ctx.audit.getOrder(id))).catch((err: unknown) => {
    throw new AfterTransmit(toGatewayError(err));
  });
  const answer = answerOf(orders);
  if (answer.error) throw new AfterTransmit(answer.error);
  return answer.result;
}

/** The answer to a transmitted order, from its orders (entry first) as recorded after the broker's acknowledgement. */
type Answer = { result: OrderResult; error?: undefined } | { error: GatewayError };

const answerFrom =
  (parentId: string, correlationId: string, message: string | null) =>
  ([parent, ...children]: ReadonlyArray<OrderDetail | null>): Answer => {
    if (!parent) return { error: new AuditError(`Order ${parentId} vanished from the audit log`, 'AUDIT_CORRUPT') };
    if (parent.status === 'REJECTED') return { error: new OrderRejectedError(`The broker rejected order ${parentId}: ${parent.statusMessage ?? 'no reason given'}`, { orderId: parentId }) };
    return { result: resultFrom(parent, children.filter((o): o is OrderDetail => o !== null), correlationId, message) };
  };

const storedOf = (answer: Answer): Stored =>
  answer.error ? { kind: 'error', code: answer.error.code, message: answer.error.message, details: answer.error.details } : { kind: 'result', result: answer.result };

/**
 * The answer, built and stored as the key's result in one write queued right
 * behind the acknowledgement's status versions (and the broker events before
 * them): one audit.db transaction instead of three, and the stored replay is
 * the very object answered. It settles after those updates have finished
 * (their circuit-breaker count included), as the answer did when it re-read them.
 * A status version that could not be written is logged: the answer is what was
 * stored, and reconciliation settles the order.
 */
async function completeWithAnswer(ctx: OrderContext, placing: PlaceKey, key: string, placed: string[], applied: Promise<unknown>, answerOf: (orders: ReadonlyArray<OrderDetail | null>) => Answer): Promise<OrderResult> {
  // Settled here, so a failed acknowledgement is never an unhandled rejection if the completion fails first.
  const acknowledged = applied.then(
    () => null,
    (err: unknown) => err,
  );
  let answer: Answer | null = null;
  const stored = await queueOrderUpdate(ctx, placed, () =>
    ctx.audit.completeIdempotentFrom(SCOPE, key, placed, (orders) => storedOf((answer = answerOf(orders))), writeFor(ctx, RELAXED)),
  ).catch((err: unknown) => {
    throw new AfterTransmit(toGatewayError(err));
  });
  placing.completed = true;
  const failed = await acknowledged;
  if (failed !== null) ctx.logger.error({ err: failed, orderId: placed[0] }, 'could not record the broker acknowledgement; reconciliation will settle the order');
  if (stored.kind === 'result') return stored.result;
  // The error object itself (its class), as stored.
  throw new AfterTransmit((answer as Answer | null)?.error ?? new GatewayError(stored.code, stored.message, stored.details));
}

const childId = (planned: PlannedOrder[], ids: string[], role: PlannedOrder['role']): string | undefined => {
  const i = planned.findIndex((p) => p.role === role);
  return i < 0 ? undefined : ids[i];
};

/** The orders of these ids that the store has, in the same order. */
async function ordersOf(ctx: OrderContext, ids: readonly string[]): Promise<OrderDetail[]> {
  return (await Promise.all(ids.map((id) => ctx.audit.getOrder(id)))).filter((o): o is OrderDetail => o !== null);
}

/**
 * Writes the orders' rows (entry and bracket children) in one transaction
 * with the claim of the key, if this request does not hold it yet or holds a
 * taken-over claim (checked there), and the id reservation, if asked.
 * Nothing is transmitted unless all of it is recorded.
 */
async function recordNew(ctx: OrderContext, placing: PlaceKey | null, request: Omit<NewOrdersRequest, 'claim'>): Promise<{ ids: string[]; orders: OrderDetail[] }> {
  const claim = placing !== null && (!placing.held || placing.claim.heldSince !== undefined) ? placing.claim : undefined;
  let outcome;
  try {
    outcome = await ctx.audit.recordNewOrders({ ...request, claim }, writeFor(ctx));
  } catch (err) {
    const gw = toGatewayError(err);
    if (gw instanceof OrderIdInUseError) throw gw;
    if (gw instanceof AuditError) throw new AuditError(`The audit log could not record the order, so nothing was sent: ${gw.message}`, 'AUDIT_UNAVAILABLE', undefined, { cause: err });
    throw gw;
  }
  if (outcome.kind === 'claimed-elsewhere') throw new ClaimedElsewhere(outcome.claim);
  if (placing !== null) placing.held = true;
  return outcome;
}

/** An order's pre-transmit rows, its id left to fill in (withIds). */
function orderRow(ctx: OrderContext, a: Assessment, p: PlannedOrder, status: 'SIMULATED' | 'PENDING_SUBMIT', message: string | null, idempotencyKey: string | null, approvalId?: string): NewOrderRow {
  const isEntry = p.role === 'ENTRY';
  // Both rows hold the spec: put in canonical order once here, not copied by each row's canonical JSON (the
  // parsed spec keeps the schema's key order). Same text either way; the stored spec is read back from it.
  const spec = inCanonicalOrder(p.spec);
  return {
    // The event data in sorted key order, as its canonical JSON writes it (hashing.ts: written as it is, not copied).
    entry: auditRow(ctx, status === 'SIMULATED' ? 'ORDER_SIMULATED' : 'ORDER_SUBMITTED', { approvalId, contract: a.contract, idempotencyKey, referencePrice: a.referencePrice, riskChecks: isEntry ? a.riskChecks : undefined, role: p.role, spec }, {
      accountId: a.accountId,
      orderId: null,
      snapshot: a.gate.snapshot,
    }),
    version: {
      orderId: '',
      clientOrderId: isEntry ? (a.spec.clientOrderId ?? null) : null,
      parentOrderId: null,
      role: p.role,
      accountId: a.accountId,
      conId: a.contract.conId,
      status,
      spec,
      filledQuantity: 0,
      remainingQuantity: p.spec.quantity,
      avgFillPrice: null,
      commission: null,
      fills: [],
      statusMessage: message,
      correlationId: requestOf(ctx).correlationId,
      // The order path's clock, the same one the risk windows are evaluated on.
      createdAt: new Date(ctx.clock.now()).toISOString(),
      brokerIdentity: ctx.identityFor(a.accountId),
      // The entry is the placement the rate limits and the duplicate guard count (in every process, from the store).
      placement: isEntry ? { riskKey: a.riskKey.of === a.spec ? a.riskKey.key : riskKeyOf(a.spec, a.accountId) } : undefined,
      expectNew: true,
    },
  };
}

/** The rows with their ids: the first is the entry, the parent of the others. */
function withIds(rows: readonly NewOrderRow[], ids: readonly string[]): NewOrderRow[] {
  const parentId = ids[0] ?? '';
  return rows.map(({ entry, version }, i) => {
    const orderId = ids[i] ?? '';
    return { entry: { ...entry, orderId }, version: { ...version, orderId, parentOrderId: version.role === 'ENTRY' ? null : parentId } };
  });
}

async function markUnknown(ctx: OrderContext, orderId: string, reason: string): Promise<void> {
  try {
    await applyBrokerState(ctx, { orderId, status: 'UNKNOWN', message: `Outcome unknown: ${reason}` });
  } catch (err) {
    ctx.logger.error({ err, orderId }, 'could not record UNKNOWN; reconciliation will settle the order');
  }
}
