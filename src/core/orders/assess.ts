/**
 * The checks preview and place share: resolve the instrument, price the order,
 * run every risk check and ask the safety gates what placing it would do.
 * Nothing here writes or sends anything, so preview can show it all.
 */
import { instrumentOf } from '../contracts.js';
import { evaluateGates, type GateDecision } from '../gates.js';
import type { Contract, OrderSpec, Quote, RiskCheck, SymbolSpecInput } from '../models.js';
import { riskKeyOf } from '../risk/history.js';
import type { WorkingOrderExposure } from '../risk/types.js';
import type { OrderContext } from './context.js';
import { lastPrice, referencePrice } from './pricing.js';

export interface Assessment {
  spec: OrderSpec;
  contract: Contract;
  accountId: string;
  quote: Quote | null;
  referencePrice: number | null;
  riskChecks: RiskCheck[];
  riskPassed: boolean;
  gate: GateDecision;
  /**
   * The duplicate guard's key (riskKeyOf) of the spec assessed, `of`: the history was read under it and
   * the placement stores it (place.ts), built once. Only for that very spec: a copy with another spec
   * (modify.ts) no longer matches `of`, and its key is built afresh.
   */
  riskKey: { of: OrderSpec; key: string };
}

/**
 * How old a broker's listing of working orders may be for the exposure checks.
 * This gateway's own orders are always current (the broker reports their every
 * change); orders placed elsewhere (TWS itself, other API clients, another
 * gateway) count as a listing at most this old saw them. Asking for the list
 * per order cost a round trip to IB Gateway before every transmit, and one of
 * IBKR's 50 messages a second; a listing is renewed in the background instead.
 */
export const WORKING_ORDERS_MAX_AGE_MS = 1000;

/**
 * The instrument part of an order as one frozen object per distinct content. The contract resolver
 * remembers its parse of a frozen input (contracts.ts), so an order for an instrument seen before skips
 * a zod parse of the instrument (a cost per order). Keyed by the picked fields' JSON: the same object
 * only for the same content. Bounded: cleared when full.
 */
const instruments = new Map<string, SymbolSpecInput>();
const INSTRUMENTS_LIMIT = 512;
function sharedInstrumentOf(spec: OrderSpec): SymbolSpecInput {
  const picked = instrumentOf(spec);
  const key = JSON.stringify(picked);
  let shared = instruments.get(key);
  if (shared === undefined) {
    if (instruments.size >= INSTRUMENTS_LIMIT) instruments.clear();
    shared = Object.freeze(picked);
    instruments.set(key, shared);
  }
  return shared;
}

/** `replacing`: the working order a modification would replace; its current version leaves the working-order exposure (the new one is `spec`). */
export async function assess(ctx: OrderContext, spec: OrderSpec, options: { replacing?: string } = {}): Promise<Assessment> {
  const accountId = ctx.resolveAccount(spec.account);
  const contract = await ctx.contracts.resolve(sharedInstrumentOf(spec));
  const now = ctx.clock.now();
  const riskKey = riskKeyOf(spec, accountId);
  // Everything the checks read is asked for at once: the quote and the open-order
  // listing are round trips to the broker, the history facts are store reads, and
  // none depends on another (one after the other, their waits add up before transmit).
  const [quote, positions, summary, pnl, open, history] = await Promise.all([
    // A quote is only needed for pricing; an order with a limit price must not
    // fail because market data is momentarily unavailable.
    ctx.broker.getQuote(contract).catch((err: unknown) => {
      ctx.logger.warn({ err, conId: contract.conId }, 'no quote for the order; pricing from the order alone');
      return null;
    }),
    ctx.broker.getPositions(accountId),
    ctx.broker.getAccountSummary(accountId),
    ctx.broker.getPnl(accountId),
    ctx.broker.getOpenOrders({ maxAgeMs: WORKING_ORDERS_MAX_AGE_MS }),
    ctx.risk.historyFacts({ spec, contract, accountId, now, riskKey }),
  ]);
  const workingOrders: WorkingOrderExposure[] = open
    .filter((o) => o.accountId === accountId && o.orderId !== options.replacing)
    .map((o) => ({ conId: o.conId, action: o.spec.action, remainingQuantity: o.remainingQuantity }));
  const ref = referencePrice(spec, quote);
  const riskChecks = ctx.risk.evaluate({
    history,
    spec,
    contract,
    accountId,
    referencePrice: ref,
    lastPrice: lastPrice(quote),
    positions,
    summary,
    pnl,
    workingOrders,
    now,
  });
  const gate = evaluateGates({
    config: ctx.config,
    killSwitch: await ctx.killSwitch.effective(accountId),
    accountId,
    brokerState: ctx.broker.status().state,
  });
  return { spec, contract, accountId, quote, referencePrice: ref, riskChecks, riskPassed: riskChecks.every((c) => c.passed), gate, riskKey: { of: spec, key: riskKey } };
}
