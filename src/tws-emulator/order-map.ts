/**
 * Translation between TWS orders and the simulator's OrderSpec (order types,
 * prices and time in force through the mapping the tws adapter uses, in
 * src/ibkr/order-map.ts), and between the simulator's order
 * statuses and TWS's status strings.
 */
import { OrderSpec, type Contract, type OrderStatus, type OrderSpecInput } from '../core/models.js';
import { ibTif, ibTypeToSpecFields, specInstrument } from '../ibkr/order-map.js';
import { twsOrderTimeToIso } from '../ibkr/time.js';
import type { PlaceOrderRequestWire } from './requests.js';

/** TWS status strings for our statuses (rejections surface as error 201 followed by Cancelled). */
export const TWS_STATUS: Record<OrderStatus, string> = {
  SIMULATED: 'Inactive',
  PENDING_SUBMIT: 'PendingSubmit',
  SUBMITTED: 'PreSubmitted',
  ACCEPTED: 'Submitted',
  PARTIALLY_FILLED: 'Submitted',
  FILLED: 'Filled',
  CANCELLED: 'Cancelled',
  REJECTED: 'Cancelled',
  EXPIRED: 'Cancelled',
  UNKNOWN: 'Inactive',
  PENDING_APPROVAL: 'Inactive',
  APPROVED: 'Inactive',
};

/** "20260116" -> "2026-01-16"; a month "202603" is kept. */
export function fromTwsDate(s: string): string | undefined {
  const day = /^(\d{4})(\d{2})(\d{2})/.exec(s);
  if (day) return `${day[1]}-${day[2]}-${day[3]}`;
  return /^\d{6}$/.test(s) ? s : undefined;
}

export type SpecResult = { ok: true; spec: OrderSpec } | { ok: false; reason: string };

/** The OrderSpec a TWS order means, or why the simulator cannot take it. */
export function twsOrderToSpec(o: PlaceOrderRequestWire, contract: Contract, account: string): SpecResult {
  if (o.unsupported) return { ok: false, reason: o.unsupported };
  if (o.algoStrategy !== '') return { ok: false, reason: `algo orders (${o.algoStrategy}) are not supported` };
  const action = o.action === 'SSHORT' || o.action === 'SSHORTX' ? 'SELL' : o.action;
  const base: OrderSpecInput = {
    ...specInstrument(contract),
    action: action === 'BUY' || action === 'SELL' ? action : 'BUY',
    quantity: o.totalQuantity,
    orderType: 'MKT',
    timeInForce: 'DAY',
    outsideRth: o.outsideRth,
    account,
    ...(o.ocaGroup !== '' ? { ocaGroup: o.ocaGroup } : {}),
  };
  if (action !== 'BUY' && action !== 'SELL') return { ok: false, reason: `unknown action ${o.action}` };
  const tif = ibTif(o.tif === '' ? 'DAY' : o.tif);
  if (tif === null) return { ok: false, reason: `time in force ${o.tif} is not supported` };
  base.timeInForce = tif;
  // IBKR's time conditions, in any of the date-time forms IBKR reads (UTC, a named zone); kept in the spec as UTC.
  const after = twsOrderTimeToIso(o.echo.goodAfterTime, 'goodAfterTime');
  if (after === null) return { ok: false, reason: `goodAfterTime "${o.echo.goodAfterTime}" is not a date-time IBKR reads (YYYYMMDD-HH:MM:SS in UTC, or YYYYMMDD HH:MM:SS with a time zone)` };
  if (after !== undefined) base.goodAfterTime = after;
  if (tif === 'GTD') {
    const till = twsOrderTimeToIso(o.echo.goodTillDate, 'goodTillDate');
    if (till === null) return { ok: false, reason: `goodTillDate "${o.echo.goodTillDate}" is not a date or date-time IBKR reads` };
    if (till === undefined) return { ok: false, reason: 'a GTD order needs a goodTillDate' };
    base.goodTillDate = till;
  }
  const fields = ibTypeToSpecFields(o.orderType, {
    lmtPrice: o.lmtPrice ?? undefined,
    auxPrice: o.auxPrice ?? undefined,
    trailingPercent: o.trailingPercent ?? undefined,
    trailStopPrice: o.trailStopPrice ?? undefined,
    lmtPriceOffset: o.lmtPriceOffset ?? undefined,
  }, tif);
  if (!fields) return { ok: false, reason: `order type ${o.orderType || '(empty)'} is not supported` };
  Object.assign(base, fields);
  const parsed = OrderSpec.safeParse(base);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, spec: parsed.data };
}
