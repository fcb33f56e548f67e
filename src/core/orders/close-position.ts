/**
 * Closing a position: the offsetting market order, placed through the normal
 * path (validation, preview binding, risk, gates, audit, idempotency), so a
 * close is exactly as safe and as recorded as any other order.
 *
 * The order is computed from the position the broker reports now: SELL for a
 * long, BUY for a short, for all of it, a quantity, or a percentage (rounded
 * down to whole units). A preview of the close computes the same order, so a
 * previewId binds "close N of SYMBOL"; if the position changed in between,
 * placing reports PREVIEW_MISMATCH instead of closing something else.
 */
import { GatewayError, IdempotencyConflictError, OrderValidationError } from '../errors.js';
import { hashOf } from '../hashing.js';
import { Decimal } from '../money.js';
import { ClosePositionRequest, OrderSpec, Symbol, type ClosePositionRequestInput, type OrderPreview, type OrderResult, type Position } from '../models.js';
import { writeFor, type OrderContext } from './context.js';
import { parseInput } from './parse.js';
import { callerIdentity, placeOrder } from './place.js';
import { previewOrder } from './preview.js';
import { claimKey } from './claims.js';

export const CLOSE_SCOPE = 'positions.close';

/** The order that closes (part of) the position in `symbol`. */
export async function closingOrder(ctx: OrderContext, symbolInput: string, input: ClosePositionRequestInput = {}): Promise<OrderSpec> {
  const symbol = parseInput(Symbol, symbolInput, 'Symbol');
  const request = parseInput(ClosePositionRequest, input, 'Close request');
  const accountId = ctx.resolveAccount(request.account);
  const held = (await ctx.broker.getPositions(accountId)).filter(
    (p) => p.symbol.toUpperCase() === symbol && p.quantity !== 0 && (request.securityType === undefined || p.securityType === request.securityType),
  );
  const position = held[0];
  if (position === undefined) {
    throw new GatewayError('POSITION_NOT_FOUND', `Account ${accountId} holds no ${request.securityType ?? ''}${request.securityType ? ' ' : ''}position in ${symbol}`, { symbol, accountId });
  }
  if (held.length > 1) {
    throw new OrderValidationError(`Account ${accountId} holds several positions in ${symbol} (${held.map((p) => p.securityType).join(', ')}); name securityType`, {
      symbol,
      positions: held.map((p) => ({ conId: p.conId, securityType: p.securityType, quantity: p.quantity })),
    });
  }
  const size = new Decimal(position.quantity).abs();
  const quantity = quantityToClose(size, request);
  const spec = parseInput(
    OrderSpec,
    { symbol, securityType: position.securityType, currency: position.currency, action: position.quantity > 0 ? 'SELL' : 'BUY', quantity, orderType: 'MKT', timeInForce: 'DAY', account: accountId },
    'Closing order',
  );
  await assertSameInstrument(ctx, spec, position);
  return spec;
}

function quantityToClose(size: Decimal, request: ClosePositionRequest): number {
  if (request.quantity !== undefined) {
    if (new Decimal(request.quantity).gt(size)) {
      throw new OrderValidationError(`quantity ${request.quantity} is more than the position (${size.toString()}); closing never reverses a position`, { quantity: request.quantity, position: size.toNumber() });
    }
    return request.quantity;
  }
  if (request.percentage !== undefined) {
    const units = size.times(request.percentage).div(100).floor();
    if (units.lte(0)) throw new OrderValidationError(`${request.percentage}% of ${size.toString()} is less than one unit`, { percentage: request.percentage, position: size.toNumber() });
    return units.toNumber();
  }
  return size.toNumber();
}

/** Options and futures positions need their expiry (and strike) to be named; refuse rather than close another contract. */
async function assertSameInstrument(ctx: OrderContext, spec: OrderSpec, position: Position): Promise<void> {
  const contract = await ctx.contracts.resolve({ symbol: spec.symbol, securityType: spec.securityType, currency: spec.currency });
  if (contract.conId !== position.conId) {
    throw new OrderValidationError(
      `The position in ${position.symbol} is contract ${position.conId}, but ${position.symbol} ${position.securityType} resolves to ${contract.conId}; close it with an order naming expiry/strike/right`,
      { positionConId: position.conId, resolvedConId: contract.conId },
    );
  }
}

export async function previewClosePosition(ctx: OrderContext, symbol: string, input: ClosePositionRequestInput = {}): Promise<OrderPreview> {
  return previewOrder(ctx, await closingOrder(ctx, symbol, input));
}

/**
 * Places the closing order. With an idempotency key the whole close is
 * idempotent: a retry returns the first result even though the position is
 * now flat (the order itself also carries a derived key, so it is never sent
 * twice even if this request was interrupted).
 */
export async function closePosition(ctx: OrderContext, symbolInput: string, input: ClosePositionRequestInput = {}, options: { idempotencyKey?: string } = {}): Promise<OrderResult> {
  const key = options.idempotencyKey;
  const { previewId, ...rest } = parseInput(ClosePositionRequest, input, 'Close request');
  const close = async (): Promise<OrderResult> => {
    const spec = await closingOrder(ctx, symbolInput, rest);
    return placeOrder(ctx, { ...spec, previewId }, key === undefined ? {} : { idempotencyKey: `close:${key}` });
  };
  if (key === undefined) return close();

  const symbol = parseInput(Symbol, symbolInput, 'Symbol');
  const requestHash = hashOf({ symbol, rest, account: ctx.resolveAccount(rest.account) });
  // Owned like an order's key: another API key replaying it is refused (IDEMPOTENCY_KEY_FOREIGN).
  const owner = callerIdentity(ctx);
  // A claim its gateway abandoned is taken over (claims.ts): the order's own derived key still prevents a second send.
  const { claim } = await claimKey(ctx, { scope: CLOSE_SCOPE, key, owner, requestHash });
  if (claim.kind === 'replay') return { ...(claim.result as OrderResult), idempotentReplay: true };
  if (claim.kind === 'in-progress') throw new IdempotencyConflictError('A close with this idempotency key is still being processed; retry shortly', 'IDEMPOTENCY_IN_PROGRESS', { key });
  try {
    const result = await close();
    await ctx.audit.completeIdempotent(CLOSE_SCOPE, key, result, writeFor(ctx));
    return result;
  } catch (err) {
    // A retry recomputes the order; its derived key replays whatever reached the broker.
    await ctx.audit.releaseIdempotent(CLOSE_SCOPE, key, writeFor(ctx));
    throw err;
  }
}
