/**
 * IBKR's time conditions on an order: goodAfterTime (the order is held,
 * PreSubmitted, until a time and works from then) and time in force GTD (it
 * expires at its goodTillDate). The spec carries both as UTC ISO 8601; the
 * instants are read from it, so a restored order needs no extra state.
 */
import type { OrderSpec } from '../../core/models.js';
import { toEt } from './sessions.js';
import type { SimOrderRecord } from './store.js';

/** Epoch ms of the order's goodAfterTime, or null when it has none. */
export const goodAfterMs = (spec: Pick<OrderSpec, 'goodAfterTime'>): number | null =>
  spec.goodAfterTime === undefined ? null : Date.parse(spec.goodAfterTime);

/** Epoch ms of a GTD order's goodTillDate, or null for any other time in force. */
export const goodTillMs = (spec: Pick<OrderSpec, 'timeInForce' | 'goodTillDate'>): number | null =>
  spec.timeInForce === 'GTD' && spec.goodTillDate !== undefined ? Date.parse(spec.goodTillDate) : null;

/** Whether the order is still waiting for its goodAfterTime at `t`. */
export function heldAt(rec: SimOrderRecord, t: number): boolean {
  const after = goodAfterMs(rec.state.spec);
  return after !== null && t < after;
}

/** "2026-12-03 09:30:00 US/Eastern": how IBKR's order warning names the time an order waits for. */
export function easternLabel(ms: number): string {
  const et = toEt(ms);
  const date = new Date(et.day * 86_400_000).toISOString().slice(0, 10);
  const total = Math.round(et.minute * 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date} ${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)} US/Eastern`;
}

/** IBKR's warning (399) for an order held until its goodAfterTime. */
export const heldMessage = (label: string): string => `Warning 399: your order will not be placed at the exchange until ${label}`;

/** Why a time condition makes the order unacceptable now, or null. */
export function timeConditionProblem(spec: OrderSpec, now: number): string | null {
  const till = goodTillMs(spec);
  if (till !== null && till <= now) return `goodTillDate ${spec.goodTillDate ?? ''} has already passed`;
  return null;
}
