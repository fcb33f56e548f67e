/**
 * Contract resolution through reqContractDetails: every match is returned (the
 * core decides what is ambiguous and lists the candidates), futures without an
 * expiry resolve to the front month, and option chains come from
 * reqSecDefOptParams plus one contract-details request for the chosen expiry.
 */
import { EventName, SecType, type ContractDetails, type Contract as IbContract } from '@stoqey/ib';
import { ContractResolutionError } from '../../core/errors.js';
import type { Contract, SymbolSpec } from '../../core/models.js';
import type { TwsContext } from './context.js';
import { classify } from '../../ibkr/error-codes.js';
import { fromContractDetails, fromTwsDate, num, str, toIbContract } from './wire.js';
import { specToIbContract } from './wire.js';

export interface OptionParams {
  exchange: string;
  tradingClass: string;
  multiplier: number;
  expirations: string[];
  strikes: number[];
}

export class Contracts {
  private readonly byConId = new Map<number, Contract>();
  private readonly detailCollectors = new Map<number, ContractDetails[]>();
  private readonly optParamCollectors = new Map<number, OptionParams[]>();
  private readonly detailEnds = new Map<number, () => void>();
  private readonly optParamEnds = new Map<number, () => void>();

  constructor(private readonly ctx: TwsContext) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.contractDetails, (reqId: number, details: ContractDetails) => this.detailCollectors.get(reqId)?.push(details));
      ib.on(EventName.contractDetailsEnd, (reqId: number) => this.detailEnds.get(reqId)?.());
      ib.on(EventName.securityDefinitionOptionParameter, (reqId: number, exchange: string, _underlyingConId: number, tradingClass: string, multiplier: string, expirations: unknown, strikes: unknown) => {
        const exp = Array.isArray(expirations) ? expirations.map((e) => fromTwsDate(str(e))).filter((e): e is string => e !== undefined) : [];
        const k = Array.isArray(strikes) ? strikes.map((s) => num(s)).filter((s): s is number => s !== null) : [];
        this.optParamCollectors.get(reqId)?.push({ exchange: str(exchange), tradingClass: str(tradingClass), multiplier: num(multiplier) ?? 100, expirations: exp, strikes: k });
      });
      ib.on(EventName.securityDefinitionOptionParameterEnd, (reqId: number) => this.optParamEnds.get(reqId)?.());
    });
  }

  known(conId: number): Contract | undefined {
    return this.byConId.get(conId);
  }

  remember(c: Contract): Contract {
    this.byConId.set(c.conId, c);
    return c;
  }

  /** Raw contract details; [] for IBKR's 200 (no security definition). */
  async details(contract: IbContract): Promise<Contract[]> {
    const { conn, requestTimeoutMs } = this.ctx;
    const req = conn.registry.start<ContractDetails[]>('contract details', {
      timeoutMs: requestTimeoutMs,
      onError: (code) => {
        if (classify(code).code === 'CONTRACT_NOT_FOUND') {
          req.resolve([]);
          return 'handled';
        }
        return 'fail';
      },
      onSettle: () => {
        this.detailCollectors.delete(req.id);
        this.detailEnds.delete(req.id);
      },
    });
    const rows: ContractDetails[] = [];
    this.detailCollectors.set(req.id, rows);
    this.detailEnds.set(req.id, () => req.resolve(rows));
    await conn.send('reqContractDetails', (ib) => ib.reqContractDetails(req.id, contract)).catch((err: Error) => req.reject(err));
    const found = await req.promise;
    const out: Contract[] = [];
    const seen = new Set<number>();
    for (const d of found) {
      const c = fromContractDetails(d);
      if (!c || seen.has(c.conId)) continue;
      seen.add(c.conId);
      out.push(this.remember(c));
    }
    return out;
  }

  async resolve(spec: SymbolSpec): Promise<Contract[]> {
    let found = await this.details(specToIbContract(spec));
    // IBKR lists ETFs as STK; a request for ETF keeps the ETFs when TWS told us which they are.
    if (spec.securityType === 'ETF' && found.some((c) => c.securityType === 'ETF')) found = found.filter((c) => c.securityType === 'ETF');
    if (spec.securityType === 'FUT' && spec.expiry === undefined) found = frontMonth(found, this.ctx.clock.now());
    return found;
  }

  /** A contract for a conId seen in an order or position update that we never resolved ourselves. */
  async byId(conId: number): Promise<Contract | null> {
    const known = this.byConId.get(conId);
    if (known) return known;
    const [c] = await this.details({ conId }).catch(() => []);
    return c ?? null;
  }

  async optionParams(underlying: Contract): Promise<OptionParams[]> {
    const { conn, requestTimeoutMs } = this.ctx;
    const req = conn.registry.start<OptionParams[]>('option chain parameters', {
      timeoutMs: requestTimeoutMs,
      onSettle: () => {
        this.optParamCollectors.delete(req.id);
        this.optParamEnds.delete(req.id);
      },
    });
    const rows: OptionParams[] = [];
    this.optParamCollectors.set(req.id, rows);
    this.optParamEnds.set(req.id, () => req.resolve(rows));
    const secType = toIbContract(underlying).secType ?? SecType.STK;
    const futExchange = underlying.securityType === 'FUT' ? underlying.exchange : '';
    await conn.send('reqSecDefOptParams', (ib) => ib.reqSecDefOptParams(req.id, underlying.symbol, futExchange, secType, underlying.conId)).catch((err: Error) => req.reject(err));
    return req.promise;
  }

  /** Every listed option of one expiry (one request: TWS returns the whole strip). */
  async optionsOf(underlying: Contract, expiry: string, tradingClass: string, exchange: string): Promise<Contract[]> {
    if (!underlying.symbol) throw new ContractResolutionError('Underlying without a symbol');
    return this.details({
      symbol: underlying.symbol,
      secType: underlying.securityType === 'FUT' ? SecType.FOP : SecType.OPT,
      exchange,
      currency: underlying.currency,
      lastTradeDateOrContractMonth: expiry.replaceAll('-', ''),
      tradingClass,
    });
  }
}

/** The contracts with the nearest expiry that has not passed (all of them, if several venues list it). */
export function frontMonth(contracts: Contract[], nowMs: number): Contract[] {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const dated = contracts.filter((c) => c.expiry !== undefined && expiryDay(c.expiry) >= today);
  if (dated.length === 0) return contracts;
  const nearest = dated.reduce((a, c) => (expiryDay(c.expiry ?? '') < expiryDay(a.expiry ?? '') ? c : a));
  return dated.filter((c) => c.expiry === nearest.expiry);
}

/** A month "202603" counts as its last day, so it is not dropped during its own month. */
const expiryDay = (e: string): string => (/^\d{6}$/.test(e) ? `${e.slice(0, 4)}-${e.slice(4, 6)}-31` : e);
