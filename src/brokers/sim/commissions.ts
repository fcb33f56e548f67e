/**
 * IBKR Pro commissions, per order ("Fixed" by default, "Tiered" selectable),
 * and the third-party fees IBKR passes through per execution (fees.ts rates
 * in fee-schedule.ts).
 *
 * IBKR's minimums and maximums apply to the whole order, not to each
 * execution, so a partially filled order is charged by difference: the
 * commission of the cumulative fills so far minus what earlier fills were
 * charged. Each step is rounded to cents, so per-fill commissions always add
 * up to the order's commission exactly.
 */
import { Decimal } from 'decimal.js';
import type { InstrumentClass } from './catalogue.js';
import { FEES, feeRate, secFeeRate } from './fee-schedule.js';

const ZERO = new Decimal(0);
// The schedule's figures as Decimals, made once (parsing their text was a cost per order).
const D = {
  fixedPerShare: new Decimal('0.005'),
  one: new Decimal(1),
  onePercent: new Decimal('0.01'),
  optionBelow5c: new Decimal('0.25'),
  optionBelow10c: new Decimal('0.50'),
  optionPerContract: new Decimal('0.65'),
  fiveCents: new Decimal('0.05'),
  tenCents: new Decimal('0.10'),
  microFuture: new Decimal('0.25'),
  future: new Decimal('0.85'),
  fxRate: new Decimal('0.00002'),
  fxMinimum: new Decimal(2),
} as const;

/** IBKR Pro's two pricing plans. */
export type CommissionPlan = 'fixed' | 'tiered';

export interface CommissionInput {
  cls: InstrumentClass;
  symbol: string;
  /** Cumulative quantity of the order (shares, contracts, currency units). */
  quantity: Decimal;
  /** Cumulative trade value in USD (quantity x price x multiplier x FX rate). */
  valueUsd: Decimal;
  /** Average price per unit (options: the premium per share). */
  price: Decimal;
  /** Default 'fixed'. */
  plan?: CommissionPlan;
}

/** Commission in USD for an order that has traded `quantity` for `valueUsd` so far. */
export function orderCommission(input: CommissionInput): Decimal {
  const { cls, quantity, valueUsd } = input;
  if (quantity.lte(0)) return ZERO;
  let fee: Decimal;
  switch (cls) {
    case 'equity': {
      // Fixed: USD 0.005 per share, at least USD 1.00, at most 1% of trade value.
      // Tiered: USD 0.0035 per share (first tier), at least USD 0.35, at most 1%.
      const tiered = input.plan === 'tiered';
      const perShare = quantity.times(tiered ? feeRate(FEES.tieredStockPerShare) : D.fixedPerShare);
      const minimum = tiered ? feeRate(FEES.tieredStockMinimum) : D.one;
      fee = Decimal.min(Decimal.max(perShare, minimum), valueUsd.times(D.onePercent));
      break;
    }
    case 'option': {
      // USD 0.65 per contract (0.50 for premiums 0.05-0.10, 0.25 below 0.05), at least USD 1.00.
      const rate = input.price.lt(D.fiveCents) ? D.optionBelow5c : input.price.lt(D.tenCents) ? D.optionBelow10c : D.optionPerContract;
      fee = Decimal.max(quantity.times(rate), D.one);
      break;
    }
    case 'future':
      // USD 0.85 per contract; micro contracts USD 0.25.
      fee = quantity.times(input.symbol.startsWith('M') ? D.microFuture : D.future);
      break;
    case 'fx':
      // 0.20 basis points of trade value, at least USD 2.00.
      fee = Decimal.max(valueUsd.times(D.fxRate), D.fxMinimum);
      break;
    case 'index':
      fee = ZERO;
      break;
  }
  return fee.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** Commission of one execution: cumulative commission after it minus before it. */
export function fillCommission(before: CommissionInput, after: CommissionInput): Decimal {
  return orderCommission(after).minus(orderCommission(before));
}

export interface ExecutionFeesInput {
  cls: InstrumentClass;
  symbol: string;
  side: 'BUY' | 'SELL';
  /** This execution's quantity (shares, contracts). */
  quantity: Decimal;
  /** This execution's value in USD (quantity x price x multiplier). */
  valueUsd: Decimal;
  /** The commission IBKR itself charged this execution (Tiered pass-through fees are a fraction of it). */
  commission: Decimal;
  plan?: CommissionPlan;
  /** When the execution happens (ms): the SEC fee rate depends on the charge date. */
  at: number;
}

export interface ExecutionFees {
  /** SEC fee, FINRA TAF, ORF, NFA. */
  regulatory: Decimal;
  /** Exchange fees (futures under both plans; stocks under Tiered). */
  exchange: Decimal;
  /** Clearing and pass-through fees (Tiered). */
  clearing: Decimal;
  total: Decimal;
}

/** A regulatory fee: rounded up to the cent, as the SEC and FINRA assess them per trade. */
const upToCent = (d: Decimal): Decimal => d.toDecimalPlaces(2, Decimal.ROUND_UP);
const toCent = (d: Decimal): Decimal => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

/** The third-party fees of one execution, itemised. FX on IDEALPRO has none. */
export function executionFees(input: ExecutionFeesInput): ExecutionFees {
  const { cls, side, quantity, valueUsd } = input;
  const tiered = input.plan === 'tiered';
  const sell = side === 'SELL';
  let regulatory = ZERO;
  let exchange = ZERO;
  let clearing = ZERO;
  switch (cls) {
    case 'equity': {
      if (sell) {
        regulatory = upToCent(valueUsd.times(secFeeRate(input.at)));
        regulatory = regulatory.plus(upToCent(Decimal.min(quantity.times(feeRate(FEES.finraTafPerShareSold)), feeRate(FEES.finraTafMaxPerTrade))));
      }
      if (tiered) {
        exchange = toCent(quantity.times(feeRate(FEES.tieredStockExchangePerShare)));
        const passThrough = input.commission.times(feeRate(FEES.tieredNysePassThrough).plus(feeRate(FEES.tieredFinraPassThrough)));
        clearing = toCent(quantity.times(feeRate(FEES.tieredStockClearingPerShare)).plus(passThrough));
      }
      break;
    }
    case 'option': {
      regulatory = upToCent(quantity.times(feeRate(FEES.optionsRegulatoryFee)));
      if (sell) {
        regulatory = regulatory.plus(upToCent(valueUsd.times(secFeeRate(input.at))));
        regulatory = regulatory.plus(upToCent(quantity.times(feeRate(FEES.finraTafPerOptionSold))));
      }
      if (tiered) clearing = toCent(Decimal.min(quantity.times(feeRate(FEES.occClearingPerContract)), feeRate(FEES.occClearingMaxPerTrade)));
      break;
    }
    case 'future': {
      regulatory = toCent(quantity.times(feeRate(FEES.nfaFeePerContract)));
      exchange = toCent(quantity.times(feeRate(FEES.futuresExchangeFee[input.symbol] ?? FEES.futuresExchangeFeeDefault)));
      break;
    }
    case 'fx':
    case 'index':
      break;
  }
  return { regulatory, exchange, clearing, total: regulatory.plus(exchange).plus(clearing) };
}
