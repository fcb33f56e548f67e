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
import type { IdempotencyBegin, WriteOptions } from '../audit/types.js';
import type { OrderContext } from './context.js';

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
  const claim = await ctx.audit.beginIdempotent(scope, key, owner, requestHash, options);
  if (claim.kind !== 'in-progress' || claim.since === undefined || !ctx.instance.holderGone(claim.holder, claim.since)) return { claim, abandonedSince: null };
  if (request.mayTakeOver !== undefined && !(await request.mayTakeOver())) return { claim, abandonedSince: null };
  const seen = { since: claim.since, instanceId: claim.holder?.instanceId ?? null };
  if (await ctx.audit.takeOverIdempotent(scope, key, seen)) {
    ctx.logger.warn({ scope, key, abandonedBy: seen.instanceId, since: seen.since }, 'took over an idempotency claim its gateway abandoned');
    return { claim: { kind: 'new' }, abandonedSince: seen.since };
  }
  // Another gateway took it over first, or it was settled meanwhile: answer from what it is now.
  return { claim: await ctx.audit.beginIdempotent(scope, key, owner, requestHash, options), abandonedSince: null };
}
