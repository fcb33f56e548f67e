/**
 * The one mapping between our OrderSpec's order types, prices and time in
 * force and IBKR's Order fields, in plain strings (no @stoqey/ib import), so
 * the tws adapter (which sends orders) and the TWS emulator (which reads
 * them back) cannot drift apart.
 */
import type { Contract, OrderSpec, OrderSpecInput } from '../core/models.js';

/** The instrument fields of an order spec for a contract (options and futures carry their expiry, strike and right). */
export function specInstrument(contract: Contract): Pick<OrderSpecInput, 'symbol' | 'securityType' | 'currency' | 'expiry' | 'strike' | 'right'> {
  return {
    symbol: contract.symbol,
    securityType: contract.securityType,
    currency: contract.currency,
    ...(contract.expiry ? { expiry: contract.expiry } : {}),
    ...(contract.strike !== undefined ? { strike: contract.strike } : {}),
    ...(contract.right ? { right: contract.right } : {}),
  };
}

/** IBKR order type for each of ours. OPG is a market order with time in force OPG, as IBKR spells market-on-open. */
export const IB_ORDER_TYPE: Record<OrderSpec['orderType'], string> = {
  MKT: 'MKT', LMT: 'LMT', STP: 'STP', STP_LMT: 'STP LMT', TRAIL: 'TRAIL', TRAIL_LIMIT: 'TRAIL LIMIT', MOC: 'MOC', OPG: 'MKT', LOC: 'LOC', MIDPRICE: 'MIDPRICE',
};

/** IBKR time in force for a spec: market-on-open is sent (and reported) with tif OPG whatever the spec's own says. */
export function specToIbTif(spec: Pick<OrderSpec, 'orderType' | 'timeInForce'>): OrderSpec['timeInForce'] {
  return spec.orderType === 'OPG' ? 'OPG' : spec.timeInForce;
}

const TIFS: ReadonlySet<string> = new Set<OrderSpec['timeInForce']>(['DAY', 'GTC', 'IOC', 'FOK', 'OPG', 'GTD']);

/** An IBKR time in force we model (upper case), or null. */
export function ibTif(tif: string): OrderSpec['timeInForce'] | null {
  return TIFS.has(tif) ? (tif as OrderSpec['timeInForce']) : null;
}

/** The price fields of an IBKR order, as numbers or null when unset. */
export interface IbOrderPrices {
  orderType: string;
  lmtPrice: number | null;
  auxPrice: number | null;
  trailingPercent: number | null;
  trailStopPrice: number | null;
}

/** IBKR order type and prices for a spec: trailing orders carry the trail amount in auxPrice and their stop in trailStopPrice. */
export function specToIbPrices(spec: OrderSpec): IbOrderPrices {
  const isTrail = spec.orderType === 'TRAIL' || spec.orderType === 'TRAIL_LIMIT';
  return {
    orderType: IB_ORDER_TYPE[spec.orderType],
    lmtPrice: spec.limitPrice ?? null,
    auxPrice: isTrail ? (spec.trailingAmount ?? null) : (spec.stopPrice ?? null),
    trailingPercent: spec.trailingPercent ?? null,
    trailStopPrice: isTrail ? (spec.stopPrice ?? null) : null,
  };
}

/**
 * Our order type and price fields for an IBKR order type (upper case) and its
 * prices; null for a type we do not model. A trailing stop price, when given,
 * becomes the spec's stop price; a limit offset, when given, a TRAIL LIMIT's
 * limitOffset (otherwise its limit price is kept). Given the time in force, a
 * MKT order with tif OPG reads as our OPG (market-on-open), as it is written.
 */
export function ibTypeToSpecFields(type: string, p: { lmtPrice?: number; auxPrice?: number; trailingPercent?: number; trailStopPrice?: number; lmtPriceOffset?: number }, tif?: string): Partial<OrderSpecInput> | null {
  switch (type) {
    case 'MKT':
      return { orderType: tif === 'OPG' ? 'OPG' : 'MKT' };
    case 'LMT':
      return { orderType: 'LMT', limitPrice: p.lmtPrice };
    case 'STP':
      return { orderType: 'STP', stopPrice: p.auxPrice };
    case 'STP LMT':
      return { orderType: 'STP_LMT', limitPrice: p.lmtPrice, stopPrice: p.auxPrice };
    case 'TRAIL':
    case 'TRAIL LIMIT': {
      const out: Partial<OrderSpecInput> = {
        orderType: type === 'TRAIL' ? 'TRAIL' : 'TRAIL_LIMIT',
        ...(p.trailingPercent !== undefined ? { trailingPercent: p.trailingPercent } : { trailingAmount: p.auxPrice }),
      };
      if (p.trailStopPrice !== undefined) out.stopPrice = p.trailStopPrice;
      if (type === 'TRAIL LIMIT') {
        if (p.lmtPriceOffset !== undefined) out.limitOffset = p.lmtPriceOffset;
        else if (p.lmtPrice !== undefined) out.limitPrice = p.lmtPrice;
      }
      return out;
    }
    case 'MOC':
      return { orderType: 'MOC' };
    case 'LOC':
      return { orderType: 'LOC', limitPrice: p.lmtPrice };
    case 'MIDPRICE':
      // lmtPrice is the optional price cap; IBKR's samples leave it 0 for none.
      return { orderType: 'MIDPRICE', ...(p.lmtPrice !== undefined && p.lmtPrice > 0 ? { limitPrice: p.lmtPrice } : {}) };
    default:
      return null;
  }
}
