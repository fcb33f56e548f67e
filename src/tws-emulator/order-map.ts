/**
 * Translation between TWS orders and the simulator's OrderSpec, and between
 * the simulator's order statuses and TWS's status strings.
 */
import { OrderSpec, type Contract, type OrderStatus, type OrderSpecInput } from '../core/models.js';
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
};

const TWS_ORDER_TYPE: Record<OrderSpec['orderType'], string> = {
  MKT: 'MKT', LMT: 'LMT', STP: 'STP', STP_LMT: 'STP LMT', TRAIL: 'TRAIL', TRAIL_LIMIT: 'TRAIL LIMIT', MOC: 'MOC', OPG: 'MKT',
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
    symbol: contract.symbol,
    securityType: contract.securityType,
    currency: contract.currency,
    ...(contract.expiry ? { expiry: contract.expiry } : {}),
    ...(contract.strike !== undefined ? { strike: contract.strike } : {}),
    ...(contract.right ? { right: contract.right } : {}),
    action: action === 'BUY' || action === 'SELL' ? action : 'BUY',
    quantity: o.totalQuantity,
    orderType: 'MKT',
    timeInForce: 'DAY',
    outsideRth: o.outsideRth,
    account,
    ...(o.ocaGroup !== '' ? { ocaGroup: o.ocaGroup } : {}),
  };
  if (action !== 'BUY' && action !== 'SELL') return { ok: false, reason: `unknown action ${o.action}` };
  const tif = o.tif === '' ? 'DAY' : o.tif;
  if (tif !== 'DAY' && tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK' && tif !== 'OPG') return { ok: false, reason: `time in force ${tif} is not supported` };
  base.timeInForce = tif;
  const lmt = o.lmtPrice ?? undefined;
  const aux = o.auxPrice ?? undefined;
  switch (o.orderType) {
    case 'MKT':
      break;
    case 'LMT':
      Object.assign(base, { orderType: 'LMT', limitPrice: lmt });
      break;
    case 'STP':
      Object.assign(base, { orderType: 'STP', stopPrice: aux });
      break;
    case 'STP LMT':
      Object.assign(base, { orderType: 'STP_LMT', limitPrice: lmt, stopPrice: aux });
      break;
    case 'TRAIL':
    case 'TRAIL LIMIT': {
      const trail = o.trailingPercent !== null ? { trailingPercent: o.trailingPercent } : { trailingAmount: aux };
      Object.assign(base, { orderType: o.orderType === 'TRAIL' ? 'TRAIL' : 'TRAIL_LIMIT', ...trail });
      if (o.trailStopPrice !== null) base.stopPrice = o.trailStopPrice;
      if (o.orderType === 'TRAIL LIMIT' && lmt !== undefined) base.limitPrice = lmt;
      break;
    }
    case 'MOC':
      Object.assign(base, { orderType: 'MOC' });
      break;
    default:
      return { ok: false, reason: `order type ${o.orderType || '(empty)'} is not supported` };
  }
  const parsed = OrderSpec.safeParse(base);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, spec: parsed.data };
}

/** TWS order type and prices for a spec (for orders placed outside the emulator, and for echoes). */
export function specToTws(spec: OrderSpec): { orderType: string; lmtPrice: number | null; auxPrice: number | null; trailingPercent: number | null; trailStopPrice: number | null } {
  const isTrail = spec.orderType === 'TRAIL' || spec.orderType === 'TRAIL_LIMIT';
  return {
    orderType: TWS_ORDER_TYPE[spec.orderType],
    lmtPrice: spec.limitPrice ?? null,
    auxPrice: isTrail ? (spec.trailingAmount ?? null) : (spec.stopPrice ?? null),
    trailingPercent: spec.trailingPercent ?? null,
    trailStopPrice: isTrail ? (spec.stopPrice ?? null) : null,
  };
}
