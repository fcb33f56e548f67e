/**
 * IBKR Pro's financing rates per currency: each currency's cash balance pays
 * (debit) or earns (credit) interest at that currency's benchmark and spreads,
 * on its own (IBKR computes interest on each currency holding separately, and
 * a negative balance in one currency is charged even when another is
 * positive). Each figure names where it was read and when; where a figure
 * could not be read it says so and what stands in for it.
 *
 * The benchmark values are one snapshot: the USD one dates it (Fed Funds
 * effective 4.33%, the rate from 2024-12 to 2025-09); the EUR and GBP ones are
 * the rates the same copy of IBKR's margin-rates page charged, less its
 * spread. When determining a rate IBKR floors a negative benchmark at 0.
 */
import { Decimal } from 'decimal.js';
import type { Rate } from './fee-schedule.js';

const rate = (value: string, source: string, asOf: string): Rate => ({ value, source, asOf });

const IBKR_MARGIN_RATES = 'https://www.interactivebrokers.com/en/trading/margin-rates.php';
const MARGIN_RATES_COPY = 'https://home.valore.capital/capital/en/trading/margin-rates.html (an IBKR introducing broker\'s copy of IBKR\'s margin-rates table, undated)';
const CREDIT_RATES = 'https://ibtws.com/en/accounts/fees/pricing-interest-rates.php (a copy of IBKR\'s "Interest Paid" table, undated)';
const INTEREST_EXAMPLES = 'https://interactivebrokers.ca/en/accounts/fees/interestCharged-Examples.php and interestPaid_Example2.php';

export interface DebitTier {
  /** The balance this tier reaches up to (in the currency); null for the last tier. */
  upTo: string | null;
  spread: Rate;
}

export interface CurrencyFinancing {
  /** The benchmark IBKR names for the currency, and its value (per year). */
  benchmarkName: string;
  benchmark: Rate;
  /** Blended: each part of a debit pays the benchmark plus its own tier's spread. */
  debitTiers: DebitTier[];
  /** No credit interest on the first this much of the currency. */
  creditThreshold: Rate;
  /** Credit interest above the threshold: the benchmark less this. */
  creditSpread: Rate;
  /** Days in the interest year (actual/360 or actual/365). */
  dayCount: Rate;
  /** Decimal places of the currency's smallest unit (a day's interest is rounded to it). */
  minorUnits: number;
}

const tiers = (bounds: [string, string, string], source: string, asOf: string): DebitTier[] => [
  { upTo: bounds[0], spread: rate('0.015', `${source} (Tier I: BM + 1.5%)`, asOf) },
  { upTo: bounds[1], spread: rate('0.01', `${source} (Tier II: BM + 1%)`, asOf) },
  { upTo: bounds[2], spread: rate('0.0075', `${source} (Tier III: BM + 0.75%)`, asOf) },
  { upTo: null, spread: rate('0.005', `${source} (Tier IV and above: BM + 0.5%; the 1% surcharge IBKR may add on the largest loans is not modelled)`, asOf) },
];

export const FINANCING: Record<string, CurrencyFinancing> = {
  USD: {
    benchmarkName: 'Fed Funds effective',
    benchmark: rate('0.0433', 'Federal Reserve Bank of New York, effective federal funds rate (4.33%), the benchmark IBKR names for USD', '2025-07'),
    debitTiers: tiers(['100000', '1000000', '50000000'], `${IBKR_MARGIN_RATES}; ${MARGIN_RATES_COPY} (USD 0-100,000, -1,000,000, -50,000,000, -200,000,000)`, '2025 (copy read 2026-12)'),
    creditThreshold: rate('10000', `${CREDIT_RATES} (USD: 0% on the first 10,000)`, 'read 2026-12'),
    creditSpread: rate('0.005', `${CREDIT_RATES} (USD: BM - 0.5% above 10,000)`, 'read 2026-12'),
    dayCount: rate('360', `${INTEREST_EXAMPLES} (USD interest is computed /360)`, 'read 2026-12'),
    minorUnits: 2,
  },
  EUR: {
    benchmarkName: 'Euro short-term rate (€STR)',
    benchmark: rate('0.01953', `${MARGIN_RATES_COPY}: EUR Tier I charged 3.453% = BM + 1.5%, so BM 1.953% in the snapshot whose USD BM is 4.33%`, '2025 (copy read 2026-12)'),
    debitTiers: tiers(['90000', '900000', '44000000'], `${MARGIN_RATES_COPY} (EUR 0-90,000, -900,000, -44,000,000, -180,000,000)`, '2025 (copy read 2026-12)'),
    creditThreshold: rate('10000', `${CREDIT_RATES} (EUR: 0% on the first 10,000)`, 'read 2026-12'),
    creditSpread: rate('0.005', `${CREDIT_RATES} (EUR: BM - 0.5% above 10,000)`, 'read 2026-12'),
    dayCount: rate('360', `${INTEREST_EXAMPLES} (the EUR rows are computed /360)`, 'read 2026-12'),
    minorUnits: 2,
  },
  GBP: {
    benchmarkName: 'Sterling overnight index average (SONIA)',
    benchmark: rate('0.03999', `${MARGIN_RATES_COPY}: GBP Tier I charged 5.499% = BM + 1.5%, so BM 3.999%`, '2025 (copy read 2026-12)'),
    debitTiers: tiers(['80000', '800000', '38000000'], `${MARGIN_RATES_COPY}; ${INTEREST_EXAMPLES} (GBP 0-80,000, -800,000, -38,000,000, -150,000,000)`, '2025 (copy read 2026-12)'),
    creditThreshold: rate('8000', `${CREDIT_RATES} (GBP: 0% on the first 8,000)`, 'read 2026-12'),
    creditSpread: rate('0.005', `${CREDIT_RATES} (GBP: BM - 0.5% above 8,000)`, 'read 2026-12'),
    dayCount: rate('365', `${INTEREST_EXAMPLES} (the GBP example divides by 365)`, 'read 2026-12'),
    minorUnits: 2,
  },
  JPY: {
    benchmarkName: 'Tokyo overnight average rate (TONA)',
    benchmark: rate('0.00477', 'Bank of Japan uncollateralized overnight call rate (TONA) under the 0.5% policy rate of 2025-01; recalled, not read: no copy of IBKR\'s JPY row was found', '2025 (not read)'),
    // Not read: IBKR's JPY tier bounds were not in any copy found. Stand-in: the USD bounds at 150 JPY per USD
    // (IBKR sets each currency's tiers near the USD amounts: EUR 90,000, GBP 80,000).
    debitTiers: tiers(['15000000', '150000000', '7500000000'], 'NOT READ: USD tier bounds x 150 JPY per USD, standing in for IBKR\'s JPY tiers; spreads as for every other currency in the table', 'assumption 2026-12'),
    creditThreshold: rate('5000000', `${CREDIT_RATES} (JPY: 0% on the first 5,000,000)`, 'read 2026-12'),
    creditSpread: rate('0.0025', `${CREDIT_RATES} (JPY: BM - 0.25% above 5,000,000)`, 'read 2026-12'),
    dayCount: rate('365', 'JPY money-market convention (actual/365); IBKR\'s JPY example was not found', 'assumption 2026-12'),
    minorUnits: 0,
  },
};

const d = (r: Rate): Decimal => new Decimal(r.value);

/** The currency's financing terms, or null for a currency the table does not list (its balance earns and pays nothing). */
export function financingOf(currency: string): CurrencyFinancing | null {
  return FINANCING[currency] ?? null;
}

/** A negative benchmark counts as 0 when IBKR determines a rate. */
const benchmarkOf = (f: CurrencyFinancing): Decimal => Decimal.max(0, d(f.benchmark));

/** A year's interest on a debit of `owed` (positive, in the currency), blended over the currency's tiers. */
export function debitInterestPerYear(owed: Decimal, f: CurrencyFinancing): Decimal {
  const bm = benchmarkOf(f);
  let rest = owed;
  let floor = new Decimal(0);
  let total = new Decimal(0);
  for (const tier of f.debitTiers) {
    const ceiling = tier.upTo === null ? new Decimal(Infinity) : new Decimal(tier.upTo);
    const part = Decimal.min(rest, ceiling.minus(floor));
    if (part.lte(0)) break;
    total = total.plus(part.times(bm.plus(d(tier.spread))));
    rest = rest.minus(part);
    floor = ceiling;
  }
  return total;
}

/** A year's interest on a credit balance: above the threshold, at the benchmark less the spread (never below 0). */
export function creditInterestPerYear(balance: Decimal, f: CurrencyFinancing): Decimal {
  const r = Decimal.max(0, benchmarkOf(f).minus(d(f.creditSpread)));
  return Decimal.max(0, balance.minus(d(f.creditThreshold))).times(r);
}

/** One day's interest on a balance (negative: paid), rounded to the currency's smallest unit. */
export function dailyInterest(balance: Decimal, f: CurrencyFinancing): Decimal {
  const year = balance.isNegative() ? debitInterestPerYear(balance.neg(), f).neg() : creditInterestPerYear(balance, f);
  return year.dividedBy(d(f.dayCount)).toDecimalPlaces(f.minorUnits, Decimal.ROUND_HALF_UP);
}
