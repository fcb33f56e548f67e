/**
 * The third-party fees the simulator charges on top of IBKR's own commission,
 * each rate with where it was published and when it was read. (This is the
 * account side of the catalogue: kept in its own module so the instrument
 * catalogue and the fee table change independently.)
 *
 * IBKR passes these through on every plan; under Tiered it also passes
 * through the exchange, clearing and pass-through fees that Fixed includes.
 * IBKR reports them inside an execution's commission (its commission report
 * carries one total), and so does the simulator.
 */
import { Decimal } from 'decimal.js';
import { isoTime } from './iso-time.js';

export interface Rate {
  value: string;
  /** Where the figure is published. */
  source: string;
  /** When it was read from there. */
  asOf: string;
}

const rate = (value: string, source: string, asOf: string): Rate => ({ value, source, asOf });

const IBKR_STOCKS = 'https://www.interactivebrokers.com/en/pricing/commissions-stocks.php';
const IBKR_CME = 'https://www.interactivebrokers.com/en/accounts/fees/CME.php';
const IBKR_FUTURES = 'https://www.interactivebrokers.com/en/pricing/commissions-futures.php';
const IBKR_ORF = 'https://ibkr.info/article/1184';

export const FEES = {
  /**
   * Stock and option sales: the SEC Section 31 transaction fee, per USD of sale proceeds, until
   * 2025-05-13 (see SEC_FEE_PERIODS for the rate on a given day).
   */
  secFeePerDollarSold: rate('0.0000278', `${IBKR_STOCKS} (Regulatory Fees: "USD 0.0000278 * Value of Aggregate Sales"); SEC Release 34-102779 (FY2025 order: $27.80 per million)`, '2025-07'),
  /** The Section 31 rate from 2025-05-14: nothing, the SEC having collected its FY2025 appropriation early. */
  secFeeFrom20250514: rate('0', `FINRA Information Notice 2025-04-24 (https://www.finra.org/rules-guidance/notices/information-notice-20250424): Section 31 rate "$0.00 per million" for charge dates on or after 2025-05-14, per SEC Release 34-102779 of 2025-04-08`, '2026-12'),
  /** Stock sales: FINRA Trading Activity Fee per share sold, at most USD 8.30 a trade. */
  finraTafPerShareSold: rate('0.000166', `${IBKR_STOCKS} (Regulatory Fees: "USD 0.000166 * Quantity Sold")`, '2025-07'),
  finraTafMaxPerTrade: rate('8.30', `${IBKR_STOCKS}, footnote 5 (maximum per trade)`, '2025-07'),
  /** Option sales: FINRA Trading Activity Fee per contract sold. */
  finraTafPerOptionSold: rate('0.00279', 'FINRA Schedule A to the By-Laws, Section 1 (options: USD 0.00279 per contract sold), as passed through by US brokers', '2026-02'),
  /** Options, bought or sold: the Options Regulatory Fee, summed over the US option exchanges. */
  optionsRegulatoryFee: rate('0.0379', `${IBKR_ORF} (ORF "currently assessed ... at a rate of $0.0379 per U.S. exchange listed option contract")`, '2025'),
  /** Options under Tiered: the OCC clearing fee per contract, at most USD 55 a trade. */
  occClearingPerContract: rate('0.02', 'OCC clearing fee USD 0.02 per contract, capped at USD 55 per trade (as passed through by US brokers)', '2026-02'),
  occClearingMaxPerTrade: rate('55', 'OCC clearing fee cap per trade', '2026-02'),
  /** Futures: the NFA regulatory fee per contract, bought or sold. */
  nfaFeePerContract: rate('0.02', `${IBKR_CME} ("Regulatory fees are assessed by the National Futures Association"); NFA assessment USD 0.02 per contract`, '2025'),
  /** Futures: IBKR's exchange fee recovery charge per contract, non-member, by root (Fixed and Tiered alike: "plus exchange, regulatory and clearing fees"). */
  futuresExchangeFee: {
    ES: rate('1.38', `${IBKR_CME} (E-Mini S&P Equity Futures, non-member)`, '2025'),
    NQ: rate('1.38', `${IBKR_CME} (E-mini Equity Futures, non-member)`, '2025'),
    MES: rate('0.35', `${IBKR_CME} (Micro E-Mini Futures Products, non-member)`, '2025'),
    CL: rate('1.50', 'https://www.interactivebrokers.com/en/accounts/fees/NYMEX.php (Crude Oil, non-member; figure as recalled, not re-read in this change)', '2025'),
    GC: rate('1.50', 'https://www.interactivebrokers.com/en/accounts/fees/COMEX.php (Gold, non-member; figure as recalled, not re-read in this change)', '2025'),
  } as Record<string, Rate>,
  /** Any other future: the E-mini figure. */
  futuresExchangeFeeDefault: rate('1.38', `${IBKR_CME} (E-mini, non-member)`, '2025'),
  /** Futures commission (both plans, first tier): kept in commissions.ts, listed here for the README. */
  futuresCommission: rate('0.85', `${IBKR_FUTURES} (US futures, Fixed and Tiered <= 1,000 contracts a month: USD 0.85 per contract)`, '2024'),
  /** IBKR Pro Tiered, US stocks (first volume tier): commission per share, minimum and maximum per order. */
  tieredStockPerShare: rate('0.0035', `${IBKR_STOCKS} (Tiered, <= 300,000 shares a month)`, '2025-07'),
  tieredStockMinimum: rate('0.35', `${IBKR_STOCKS} (Tiered minimum per order)`, '2025-07'),
  /** Tiered, US stocks: exchange fee for removing liquidity (typical NASDAQ/NYSE rate) and NSCC/DTC clearing, per share. */
  tieredStockExchangePerShare: rate('0.003', `${IBKR_STOCKS} (Exchange Fees: typical fee for taking liquidity on NASDAQ/NYSE)`, '2025-07'),
  tieredStockClearingPerShare: rate('0.0002', `${IBKR_STOCKS} (Clearing Fees: "NSCC, DTC Fees: USD 0.00020 per share")`, '2025-07'),
  /** Tiered, US stocks: pass-through fees as a fraction of the commission. */
  tieredNysePassThrough: rate('0.000175', `${IBKR_STOCKS} (Pass Through Fees: "NYSE Pass Through Fees: Commissions * 0.000175")`, '2025-07'),
  tieredFinraPassThrough: rate('0.000565', `${IBKR_STOCKS} (Pass Through Fees: "FINRA Pass Through Fees: Commissions * 0.000565")`, '2025-07'),
  // Financing (interest per currency) is in interest-rates.ts.
  /** Short stock: the general-collateral borrow fee (easy to borrow), per year, on the short's value. */
  shortBorrowFee: rate('0.0025', 'https://www.interactivebrokers.com/en/pricing/short-sale-cost.php (general collateral, about 0.25% a year)', '2025-07'),
} as const;

/** Each rate's Decimal, made once (a rate's text never changes; parsing it was a cost per order). */
const rateDecimals = new WeakMap<Rate, Decimal>();
export const feeRate = (r: Rate): Decimal => {
  let d = rateDecimals.get(r);
  if (d === undefined) {
    d = new Decimal(r.value);
    rateDecimals.set(r, d);
  }
  return d;
};

/**
 * The SEC Section 31 rate by charge date (UTC day the sale executes), newest
 * last. The rate changes by SEC order, usually once or twice a fiscal year.
 * The FY2026 order (Release 34-104909 of 2026-02-27, FR Doc 2026-04233, 91 FR
 * 10643) exists, but no copy consulted showed its rate or effective date (read
 * again 2026-12-02: the Federal Register copy found shows only its
 * background), so no row starts there: the simulator keeps charging the last
 * rate it can cite, $0.00 per million from 2025-05-14. Add the FY2026 row here,
 * with its effective date, once it is read.
 */
export const SEC_FEE_PERIODS: ReadonlyArray<{ from: string; rate: Rate }> = [
  { from: '1970-01-01', rate: FEES.secFeePerDollarSold },
  { from: '2025-05-14', rate: FEES.secFeeFrom20250514 },
];

/** The Section 31 fee per USD sold for a sale executed at `atMs`. */
export function secFeeRate(atMs: number): Decimal {
  const day = isoTime(atMs).slice(0, 10);
  let current = SEC_FEE_PERIODS[0]?.rate ?? FEES.secFeePerDollarSold;
  for (const period of SEC_FEE_PERIODS) if (period.from <= day) current = period.rate;
  return feeRate(current);
}
