/**
 * Resolving the contract a client describes (symbol and security type, or a
 * conId seen before) to one of the simulator's contracts.
 */
import type { Broker } from '../core/broker/port.js';
import { SymbolSpec, type Contract, type Position, type SymbolSpecInput } from '../core/models.js';
import { fromTwsDate } from './order-map.js';
import type { RequestContract } from './requests.js';

const SEC_TYPES = new Set(['STK', 'FUT', 'OPT', 'IND', 'CASH', 'CFD', 'BOND', 'FUND', 'CRYPTO']);

export class ContractBook {
  private readonly byConId = new Map<number, Contract>();

  constructor(private readonly broker: Broker) {}

  remember(c: Contract): Contract {
    this.byConId.set(c.conId, c);
    return c;
  }

  byId(conId: number): Contract | undefined {
    return this.byConId.get(conId);
  }

  /** The contract of a position (known by conId, else resolved by its symbol); null if the broker no longer lists it. */
  async forPosition(p: Pick<Position, 'conId' | 'symbol' | 'securityType' | 'currency'>): Promise<Contract | null> {
    const known = this.byConId.get(p.conId);
    if (known) return known;
    const found = await this.broker.resolveContracts({ symbol: p.symbol, securityType: p.securityType, currency: p.currency }).catch(() => []);
    const c = found.find((x) => x.conId === p.conId);
    return c ? this.remember(c) : null;
  }

  /** Every match (for contract details); [] when nothing matches. */
  async resolveAll(rc: RequestContract): Promise<Contract[]> {
    const known = rc.conId > 0 ? this.byConId.get(rc.conId) : undefined;
    if (known && rc.symbol === '') return [known];
    const symbol = rc.symbol !== '' ? rc.symbol : rc.localSymbol;
    if (symbol === '') return known ? [known] : [];
    const secType = rc.secType === '' ? 'STK' : rc.secType;
    if (!SEC_TYPES.has(secType)) return [];
    // IBKR lists ETFs as STK; the simulator keeps them apart.
    const types: SymbolSpecInput['securityType'][] = secType === 'STK' ? ['STK', 'ETF'] : [secType as SymbolSpecInput['securityType']];
    const found: Contract[] = [];
    for (const securityType of types) {
      const input: SymbolSpecInput = { symbol, securityType };
      if (rc.currency !== '') input.currency = rc.currency;
      const expiry = fromTwsDate(rc.lastTradeDateOrContractMonth);
      if (expiry !== undefined) input.expiry = expiry;
      if (secType === 'OPT' || secType === 'FUT') {
        if (rc.strike > 0) input.strike = rc.strike;
        const right = rc.right.startsWith('C') ? 'C' : rc.right.startsWith('P') ? 'P' : undefined;
        if (right) input.right = right;
      }
      const spec = SymbolSpec.safeParse(input);
      if (!spec.success) continue;
      let matches: Contract[];
      try {
        matches = await this.broker.resolveContracts(spec.data);
      } catch {
        matches = [];
      }
      found.push(...matches);
      if (found.length > 0) break;
    }
    const filtered = rc.conId > 0 ? found.filter((c) => c.conId === rc.conId) : found;
    for (const c of filtered) this.remember(c);
    return filtered;
  }

  /** Exactly one contract, or null when none or several match (a gateway's error 200 in both cases). */
  async resolveOne(rc: RequestContract): Promise<Contract | null> {
    const all = await this.resolveAll(rc);
    return all.length === 1 ? (all[0] ?? null) : null;
  }
}
