/**
 * Contract resolution with a cache for the life of the client.
 *
 * The broker returns every match; this module turns "none" into
 * CONTRACT_NOT_FOUND (IBKR error 200) and "several" into CONTRACT_AMBIGUOUS
 * with the candidates, so a caller can add the field that makes it unique.
 */
import type { Broker } from './broker/port.js';
import { ContractResolutionError, fromZodIssues } from './errors.js';
import type { Metrics } from './metrics.js';
import { timed } from './metrics.js';
import { Contract, instrumentFields, SymbolSpec, type SymbolSpecInput } from './models.js';

const MAX_CANDIDATES_SHOWN = 20;

/** The cache key: every field that can distinguish two instruments. */
export const contractCacheKey = (s: SymbolSpec): string =>
  [s.symbol, s.securityType, s.exchange ?? '', s.currency ?? '', s.expiry ?? '', s.strike ?? '', s.right ?? ''].join('|');

const INSTRUMENT_KEYS = Object.keys(instrumentFields) as (keyof SymbolSpec)[];

/** The instrument part of a larger request (an order, a history request). */
export function instrumentOf(source: Partial<Record<keyof SymbolSpec, unknown>>): SymbolSpecInput {
  const picked: Record<string, unknown> = {};
  for (const key of INSTRUMENT_KEYS) if (source[key] !== undefined) picked[key] = source[key];
  return picked as SymbolSpecInput;
}

export function parseSymbolSpec(input: SymbolSpecInput | SymbolSpec): SymbolSpec {
  const parsed = SymbolSpec.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, 'Instrument');
  return parsed.data;
}

/** A spec already parsed, with its cache key. */
interface ParsedSpec {
  spec: SymbolSpec;
  key: string;
}

export class ContractResolver {
  private readonly cache = new Map<string, Promise<Contract>>();
  /**
   * Frozen inputs seen before, with their parse. The REST API hands the same frozen query object to
   * every request that sent the same query text (api/query-memo.ts): a frozen object cannot change,
   * so its parse and key are the earlier ones, and each request skips a zod parse and a key join.
   */
  private readonly parsedInputs = new WeakMap<object, ParsedSpec>();
  /** Lookups that have succeeded, by cache key: what resolveNow() answers without a promise. */
  private readonly settled = new Map<string, Contract>();

  constructor(
    private readonly broker: Broker,
    private readonly metrics: Metrics,
  ) {}

  /** Resolves to exactly one contract or throws. Concurrent lookups of one spec share one broker call. */
  resolve(input: SymbolSpecInput | SymbolSpec): Promise<Contract> {
    return this.resolveParsed(this.parsed(input));
  }

  /**
   * resolve(), or the contract itself when an earlier lookup of the same spec has already
   * succeeded. Lets a hot path (a quote) go on without awaiting a promise that is long settled:
   * each await costs a microtask and, with request contexts active, a promise hook per promise.
   */
  resolveNow(input: SymbolSpecInput | SymbolSpec): Contract | Promise<Contract> {
    const parsed = this.parsed(input);
    return this.settled.get(parsed.key) ?? this.resolveParsed(parsed);
  }

  private resolveParsed({ spec, key }: ParsedSpec): Promise<Contract> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const pending = this.lookup(spec);
    this.cache.set(key, pending);
    // Failures are not cached: the next call asks the broker again.
    pending.then(
      (contract) => this.settled.set(key, contract),
      () => this.cache.delete(key),
    );
    return pending;
  }

  private parsed(input: SymbolSpecInput | SymbolSpec): ParsedSpec {
    const frozen = Object.isFrozen(input);
    let parsed = frozen ? this.parsedInputs.get(input) : undefined;
    if (parsed === undefined) {
      const spec = parseSymbolSpec(input);
      parsed = { spec, key: contractCacheKey(spec) };
      if (frozen) this.parsedInputs.set(input, parsed);
    }
    return parsed;
  }

  get size(): number {
    return this.cache.size;
  }

  private async lookup(spec: SymbolSpec): Promise<Contract> {
    const matches = await timed(this.metrics, 'resolveContracts', () => this.broker.resolveContracts(spec));
    const first = matches[0];
    if (!first) {
      throw new ContractResolutionError(`No ${spec.securityType} contract matches ${describe(spec)}`, 'CONTRACT_NOT_FOUND', { spec });
    }
    if (matches.length > 1) {
      throw new ContractResolutionError(`${matches.length} contracts match ${describe(spec)}; add exchange, currency, expiry, strike or right`, 'CONTRACT_AMBIGUOUS', {
        spec,
        candidates: matches.slice(0, MAX_CANDIDATES_SHOWN).map((c) => Contract.parse(c)),
        total: matches.length,
      });
    }
    return first;
  }
}

function describe(spec: SymbolSpec): string {
  const parts = [spec.symbol];
  if (spec.expiry) parts.push(spec.expiry);
  if (spec.strike !== undefined) parts.push(String(spec.strike));
  if (spec.right) parts.push(spec.right);
  if (spec.exchange) parts.push(`@${spec.exchange}`);
  if (spec.currency) parts.push(spec.currency);
  return parts.join(' ');
}
