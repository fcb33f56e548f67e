/**
 * IBKR Pro "Fixed" commissions, per order.
 *
 * IBKR's minimums and maximums apply to the whole order, not to each
 * execution, so a partially filled order is charged by difference: the
 * commission of the cumulative fills so far minus what earlier fills were
 * charged. Each step is rounded to cents, so per-fill commissions always add
 * up to the order's commission exactly.
 */
import { Decimal } from 'decimal.js';
import type { InstrumentClass } from './catalogue.js';

const ZERO = new Decimal(0);

export interface CommissionInput {
  cls: InstrumentClass;
  symbol: string;
  /** Cumulative quantity of the order (shares, contracts, currency units). */
  quantity: Decimal;
  /** Cumulative trade value in USD (quantity x price x multiplier x FX rate). */
  valueUsd: Decimal;
  /** Average price per unit (options: the premium per share). */
  price: Decimal;
}

/** Commission in USD for an order that has traded `quantity` for `valueUsd` so far. */
export function orderCommission(input: CommissionInput): Decimal {
  const { cls, quantity, valueUsd } = input;
  if (quantity.lte(0)) return ZERO;
  let fee: Decimal;
  switch (cls) {
    case 'equity': {
      // USD 0.005 per share, at least USD 1.00, at most 1% of trade value.
      const perShare = quantity.times('0.005');
      const capped = Decimal.min(Decimal.max(perShare, 1), valueUsd.times('0.01'));
      fee = capped;
      break;
    }
    case 'option': {
      // USD 0.65 per contract (0.50 for premiums 0.05-0.10, 0.25 below 0.05), at least USD 1.00.
      const rate = input.price.lt('0.05') ? '0.25' : input.price.lt('0.10') ? '0.50' : '0.65';
      fee = Decimal.max(quantity.times(rate), 1);
      break;
    }
    case 'future':
      // USD 0.85 per contract; micro contracts USD 0.25.
      fee = quantity.times(input.symbol.startsWith('M') ? '0.25' : '0.85');
      break;
    case 'fx':
      // 0.20 basis points of trade value, at least USD 2.00.
      fee = Decimal.max(valueUsd.times('0.00002'), 2);
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
