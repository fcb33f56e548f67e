/**
 * Turning specs and contracts into simulator instruments: contract lookup
 * (what resolveContracts answers) and on-demand option instruments.
 */
import type { Contract, SymbolSpec } from '../../core/models.js';
import { Catalogue, fxSymbolCandidates, type Instrument } from './catalogue.js';
import type { Market } from './market.js';
import { isListableExpiry, isOnStrikeGrid, listedExpirations, listedStrikes, occSymbol, optionConId, optionExpiryMs } from './options.js';
import { etToUtc, toEt, type Schedule } from './sessions.js';

const optionSchedule: Schedule = { kind: 'us-option', rthOpen: 570, rthClose: 960 };

export class Instruments {
  readonly catalogue = new Catalogue();
  /** Options created so far, by conId, so a contract carrying only its conId still resolves. */
  private readonly options = new Map<number, Instrument>();

  constructor(
    private readonly market: Market,
    private readonly now: () => number,
  ) {}

  option(underlying: Instrument, expiry: string, strike: number, right: 'C' | 'P'): Instrument {
    const conId = optionConId(underlying.contract.symbol, expiry, strike, right);
    const known = this.options.get(conId);
    if (known) return known;
    const symbol = underlying.contract.symbol;
    const inst: Instrument = {
      contract: {
        conId,
        symbol,
        securityType: 'OPT',
        exchange: 'SMART',
        currency: 'USD',
        localSymbol: occSymbol(symbol, expiry, strike, right),
        tradingClass: symbol,
        description: `${symbol} ${expiry} ${strike} ${right === 'C' ? 'Call' : 'Put'}`,
        expiry,
        strike,
        right,
        multiplier: 100,
        minTick: 0.01,
      },
      cls: 'option',
      schedule: optionSchedule,
      pathKey: underlying.pathKey,
      refPrice: underlying.refPrice,
      factors: underlying.factors,
      vol: underlying.vol,
      // Options quote about 3% wide (their own rule in market.ts), not in whole ticks.
      spreadTicks: 0,
      displayMin: 10,
      displayMax: 200,
      lot: 1,
      avgDailyVolume: 500,
      optionable: false,
      margin: {},
      option: { underlying, expiryMs: optionExpiryMs(expiry), strike, right },
    };
    this.options.set(conId, inst);
    return inst;
  }

  /** The price option strikes are listed around: the underlying at New York midnight (stable through the day). */
  strikeReference(underlying: Instrument, t: number): number {
    return this.market.fair(underlying, etToUtc(toEt(t).day, 0));
  }

  /** Every contract that matches the spec; [] when none (IBKR error 200). */
  resolve(spec: SymbolSpec): Contract[] {
    const t = this.now();
    const cat = this.catalogue;
    const exchangeOk = (inst: Instrument, allowed: string[]): boolean => spec.exchange === undefined || allowed.includes(spec.exchange);
    const currencyOk = (inst: Instrument): boolean => spec.currency === undefined || spec.currency === inst.contract.currency;
    switch (spec.securityType) {
      case 'STK':
      case 'ETF':
        return cat
          .listedBySymbol(spec.symbol)
          .filter((i) => i.cls === 'equity' && (spec.securityType === 'STK' || cat.isEtf(i.contract.conId)))
          .filter((i) => exchangeOk(i, ['SMART', i.contract.primaryExchange ?? '', i.contract.primaryExchange === 'ARCA' ? 'NYSEARCA' : '']) && currencyOk(i))
          .map((i) => i.contract);
      case 'IND':
        return cat
          .listedBySymbol(spec.symbol)
          .filter((i) => i.cls === 'index' && exchangeOk(i, [i.contract.exchange]) && currencyOk(i))
          .map((i) => i.contract);
      case 'CASH':
        return fxSymbolCandidates(spec)
          .flatMap((s) => cat.listedBySymbol(s))
          .filter((i) => i.cls === 'fx' && exchangeOk(i, ['IDEALPRO']) && currencyOk(i))
          .map((i) => i.contract);
      case 'FUT':
        return this.resolveFuture(spec, t).map((i) => i.contract);
      case 'OPT':
        return this.resolveOptions(spec, t).map((i) => i.contract);
      default:
        return [];
    }
  }

  private resolveFuture(spec: SymbolSpec, t: number): Instrument[] {
    const root = this.catalogue.futureRoot(spec.symbol);
    if (!root) return [];
    if (spec.exchange !== undefined && spec.exchange !== root.exchange && spec.exchange !== 'GLOBEX') return [];
    if (spec.currency !== undefined && spec.currency !== 'USD') return [];
    const listed = this.catalogue.futuresListed(spec.symbol, t, 8);
    // No expiry: the front month, as the issue asks (IBKR itself would list every month).
    if (spec.expiry === undefined) return listed.slice(0, 1);
    const month = /^(\d{4})(\d{2})$/.exec(spec.expiry);
    if (month) {
      const ym = `${month[1]}-${month[2]}`;
      return listed.filter((i) => contractMonth(i) === ym);
    }
    return listed.filter((i) => i.contract.expiry === spec.expiry);
  }

  private resolveOptions(spec: SymbolSpec, t: number): Instrument[] {
    const underlying = this.catalogue.listedBySymbol(spec.symbol).find((i) => i.optionable && (i.cls === 'equity' || i.cls === 'index'));
    if (!underlying) return [];
    if (spec.exchange !== undefined && spec.exchange !== 'SMART' && spec.exchange !== 'CBOE') return [];
    if (spec.currency !== undefined && spec.currency !== 'USD') return [];
    const reference = this.strikeReference(underlying, t);
    const listed = listedExpirations(t);
    let expiries: string[];
    if (spec.expiry !== undefined) {
      // An expiry is accepted if it is a listable Friday that has not expired, even beyond the listed window.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(spec.expiry) || !isListableExpiry(spec.expiry) || optionExpiryMs(spec.expiry) <= t) return [];
      expiries = [spec.expiry];
    } else expiries = listed;
    let strikes: number[];
    if (spec.strike !== undefined) {
      if (!isOnStrikeGrid(spec.strike, reference)) return [];
      strikes = [spec.strike];
    } else strikes = listedStrikes(reference);
    const rights: Array<'C' | 'P'> = spec.right ? [spec.right] : ['C', 'P'];
    const out: Instrument[] = [];
    for (const e of expiries) for (const k of strikes) for (const r of rights) out.push(this.option(underlying, e, k, r));
    return out;
  }

  /** The instrument behind a contract the core hands back (from resolveContracts or from storage). */
  forContract(contract: Contract): Instrument | null {
    const listed = this.catalogue.listedByConId(contract.conId);
    if (listed) return listed;
    const option = this.options.get(contract.conId);
    if (option) return option;
    if (contract.securityType === 'FUT') return this.catalogue.futureByConId(contract.conId) ?? null;
    if (contract.securityType === 'OPT' && contract.expiry && contract.strike !== undefined && contract.right) {
      const underlying = this.catalogue.listedBySymbol(contract.symbol).find((i) => i.optionable);
      if (!underlying) return null;
      const inst = this.option(underlying, contract.expiry, contract.strike, contract.right);
      return inst.contract.conId === contract.conId ? inst : null;
    }
    return null;
  }
}

const contractMonth = (i: Instrument): string => {
  // Futures months are named by the month in the local symbol; CL expires the month before its contract month.
  const local = i.contract.localSymbol ?? '';
  const code = local.charAt(local.length - 2);
  const month = 'FGHJKMNQUVXZ'.indexOf(code) + 1;
  const expiryYear = Number((i.contract.expiry ?? '').slice(0, 4));
  const expiryMonth = Number((i.contract.expiry ?? '').slice(5, 7));
  const year = month < expiryMonth ? expiryYear + 1 : expiryYear;
  return `${year}-${String(month).padStart(2, '0')}`;
};
