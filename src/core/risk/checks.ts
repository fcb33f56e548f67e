/**
 * Checks that look only at the order, the instrument and the limits.
 * Each returns one RiskCheck; `value` is what this order would make the
 * checked quantity and `limit` the bound in force, so a preview reads as a table.
 */
import { decimalOf } from '../money.js';
import type { RiskLimits } from '../config.js';
import type { RiskCheck } from '../models.js';
import type { CheckName } from './check-names.js';
import type { Exposure } from './exposure.js';
import type { RiskInput } from './types.js';

// Written in sorted key order: an order's checks go into its ORDER_SUBMITTED row, whose canonical JSON then
// writes them as they are instead of copying each (hashing.ts); the REST responses list them in the schema's order.
export const check = (name: CheckName, passed: boolean, value: RiskCheck['value'], limit: RiskCheck['limit'], message: string): RiskCheck => ({
  limit,
  message,
  name,
  passed,
  value,
});

/** The names an instrument goes by: the order's symbol, the contract's, and its local symbol (e.g. an option's). */
export function symbolsOf(input: Pick<RiskInput, 'spec' | 'contract'>): string[] {
  const { spec, contract } = input;
  // Three names at most, in this order, each once: a loop, not a Set and two array copies per call (three calls per order).
  const names: string[] = [];
  for (const s of [spec.symbol, contract.symbol, contract.localSymbol]) {
    if (s === undefined) continue;
    const upper = s.toUpperCase();
    if (!names.includes(upper)) names.push(upper);
  }
  return names;
}

export function checkSecurityType(input: RiskInput, l: RiskLimits): RiskCheck {
  const type = input.contract.securityType;
  const ok = l.allowedSecurityTypes.includes(type);
  return check('allowedSecurityTypes', ok, type, l.allowedSecurityTypes.join(','), ok ? `${type} may be traded` : `${type} is not in ALLOWED_SECURITY_TYPES (${l.allowedSecurityTypes.join(', ')})`);
}

export function checkAllowedSymbols(input: RiskInput, l: RiskLimits): RiskCheck {
  const names = symbolsOf(input);
  if (l.allowedSymbols === null) return check('allowedSymbols', true, names[0] ?? null, null, 'ALLOWED_SYMBOLS is not set: every symbol may be traded');
  const allowed = l.allowedSymbols;
  const ok = names.some((n) => allowed.includes(n));
  return check('allowedSymbols', ok, names.join(','), allowed.join(','), ok ? `${names[0]} is in ALLOWED_SYMBOLS` : `${names.join(' / ')} is not in ALLOWED_SYMBOLS`);
}

export function checkBlockedSymbols(input: RiskInput, l: RiskLimits): RiskCheck {
  const names = symbolsOf(input);
  const hit = names.find((n) => l.blockedSymbols.includes(n));
  return check('blockedSymbols', hit === undefined, names.join(','), l.blockedSymbols.join(',') || null, hit === undefined ? 'symbol is not blocked' : `${hit} is blocked (BLOCKED_SYMBOLS or the risk file)`);
}

export function checkQuantity(input: RiskInput, l: RiskLimits): RiskCheck {
  const q = input.spec.quantity;
  const ok = decimalOf(q).lessThanOrEqualTo(decimalOf(l.maxOrderQuantity));
  return check('maxOrderQuantity', ok, q, l.maxOrderQuantity, ok ? `quantity ${q} is within ${l.maxOrderQuantity}` : `quantity ${q} exceeds MAX_ORDER_QUANTITY ${l.maxOrderQuantity}`);
}

/** Reduce-only: the order must shrink the position (after same-side working orders) without crossing zero. */
export function checkReduceOnly(input: RiskInput, l: RiskLimits, e: Exposure): RiskCheck {
  const pos = e.position.toNumber();
  if (!l.reduceOnly) return check('reduceOnly', true, pos, 'off', 'reduce-only mode is off');
  const side = input.spec.action;
  if (e.position.isZero()) return check('reduceOnly', false, pos, 'on', `reduce-only mode: no position in ${input.contract.symbol}, so a ${side} would open one`);
  const reduces = (e.position.isPositive() && side === 'SELL') || (e.position.isNegative() && side === 'BUY');
  if (!reduces) return check('reduceOnly', false, pos, 'on', `reduce-only mode: a ${side} would grow the ${e.position.isPositive() ? 'long' : 'short'} position of ${pos}`);
  // `before` already counts same-side working orders that will reduce the position too.
  const room = e.before.abs();
  const ok = e.before.isZero() ? false : e.before.isPositive() === e.position.isPositive() && decimalOf(input.spec.quantity).lessThanOrEqualTo(room);
  return check('reduceOnly', ok, pos, 'on', ok ? `reduce-only mode: ${side} ${input.spec.quantity} reduces the position of ${pos}` : `reduce-only mode: ${side} ${input.spec.quantity} would take the position of ${pos} through zero (room left after working orders: ${e.before.isPositive() === e.position.isPositive() ? room.toNumber() : 0})`);
}
