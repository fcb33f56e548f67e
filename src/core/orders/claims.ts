/**
 * Claiming an idempotency key when a claim on it may have been abandoned.
 *
 * A claim left in progress is another request still working, or one whose
 * gateway died mid-request. Only the second may be taken over, and only when
 * its holder is certainly gone (GatewayInstance.holderGone: ended, lease run
 * out, or a dead process on this machine); a live gateway's claim is never
 * touched, so a request it is still sending is never sent twice. The
 * take-over is one conditional write: of several gateways finding the same
 * orphan, exactly one gets it, and the others answer from the claim as it
 * then stands.
 */
import type { FoldedClaim, IdempotencyBegin, IdempotencyClaimed, WriteOptions } from '../audit/types.js';
import { writeFor, type OrderContext } from './context.js';

export interface Claim {
  claim: IdempotencyBegin;
  /** When the abandoned claim this caller took over was made (the log holds what it did from then on); null otherwise. */
  abandonedSince: string | null;
}

export interface ClaimRequest {
  scope: string;
  key: string;
  owner: string;
  requestHash: string;
  options?: WriteOptions;
  /** A further condition for taking an abandoned claim over (an approval still pending, say). */
  mayTakeOver?: () => Promise<boolean>;
}

export async function claimKey(ctx: OrderContext, request: ClaimRequest): Promise<Claim> {
  const { scope, key, owner, requestHash, options } = request;
  const claim = await ctx.audit.beginIdempotent(scope, key, owner, requestHash, writeFor(ctx, options));
  if (claim.kind === 'new') return { claim, abandonedSince: null };
  const taken = await takeOverIfAbandoned(ctx, scope, key, claim, request.mayTakeOver);
  if (taken.kind === 'live') return { claim, abandonedSince: null };
  if (taken.kind === 'taken') return { claim: { kind: 'new' }, abandonedSince: taken.abandonedSince };
  // Another gateway took it over first, or it was settled meanwhile: answer from what it is now.
  return { claim: await ctx.audit.beginIdempotent(scope, key, owner, requestHash, writeFor(ctx, options)), abandonedSince: null };
}

type TakeOver =
  /** Answered, or held by a request whose gateway is still alive (or `mayTakeOver` said no): left as it is. */
  | { kind: 'live' }
  /** Now this instance's, since `heldSince`; the abandoned claim had been made at `abandonedSince`. */
  | { kind: 'taken'; heldSince: string; abandonedSince: string }
  /** Abandoned, but another gateway took it over (or it was settled) first. */
  | { kind: 'lost' };

/** Takes a claim found in progress over when its holder is certainly gone (the one rule for every scope). */
async function takeOverIfAbandoned(ctx: OrderContext, scope: string, key: string, claim: IdempotencyClaimed, mayTakeOver?: () => Promise<boolean>): Promise<TakeOver> {
  if (claim.kind !== 'in-progress' || claim.since === undefined || !ctx.instance.holderGone(claim.holder, claim.since)) return { kind: 'live' };
  if (mayTakeOver !== undefined && !(await mayTakeOver())) return { kind: 'live' };
  const seen = { since: claim.since, instanceId: claim.holder?.instanceId ?? null };
  const heldSince = await ctx.audit.takeOverIdempotent(scope, key, seen, writeFor(ctx));
  if (heldSince === null) return { kind: 'lost' };
  ctx.logger.warn({ scope, key, abandonedBy: seen.instanceId, since: seen.since }, 'took over an idempotency claim its gateway abandoned');
  return { kind: 'taken', heldSince, abandonedSince: seen.since };
}

/**
 * How a placement's key stands before the order is assessed (place.ts):
 * answered (a replay, or another live request's: 409), or open. An open key
 * nobody holds is claimed later, in the same transaction as the order's rows
 * (recordNewOrders), so placing one order costs one write before transmit; an
 * abandoned claim is taken over now, and the record then checks it is still
 * this request's (`heldSince`), so a take-over by another gateway meanwhile
 * sends nothing.
 */
export type OpenedClaim =
  | { kind: 'answered'; claim: IdempotencyClaimed }
  | {
      kind: 'open';
      claim: FoldedClaim;
      /** This request holds the key already (it took an abandoned claim over). */
      held: boolean;
      /** When the abandoned claim taken over was made (the log holds what it did from then on); null otherwise. */
      abandonedSince: string | null;
    };

export async function openClaim(ctx: OrderContext, claim: FoldedClaim): Promise<OpenedClaim> {
  const { scope, key, owner, requestHash } = claim;
  const seen = await ctx.audit.peekIdempotent(scope, key, owner, requestHash);
  if (seen === null) return { kind: 'open', claim, held: false, abandonedSince: null };
  const taken = await takeOverIfAbandoned(ctx, scope, key, seen);
  if (taken.kind === 'live') return { kind: 'answered', claim: seen };
  if (taken.kind === 'taken') return { kind: 'open', claim: { ...claim, heldSince: taken.heldSince }, held: true, abandonedSince: taken.abandonedSince };
  // Another gateway took it over first, or it was settled meanwhile: answer from what it is now.
  const now = await ctx.audit.peekIdempotent(scope, key, owner, requestHash);
  return now === null ? { kind: 'open', claim, held: false, abandonedSince: null } : { kind: 'answered', claim: now };
}
