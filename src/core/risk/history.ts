/**
 * What the rate limits, the duplicate guard and the daily loss need to know
 * about earlier orders (HistoryFacts). Two sources:
 *
 * - `storeHistory(audit)`: the order history (placements) and the audit log
 *   (modifications) in the durable store, which every process on the DATA_DIR writes. A restart, a CLI process or a second
 *   gateway sees the same counts, the same last identical order and the same
 *   realised P&L for the day. The counts and the last identical order are
 *   index lookups in one store read (AuditStore.rateFacts, audit/rate-facts.ts),
 *   so the order path stays fast. Store reads are asynchronous, so the order path asks for the facts
 *   first (RiskEngine.historyFacts) and hands them to the synchronous checks.
 * - `memoryHistory(...)`: the engine's own memory, for a risk engine used
 *   without a store (unit tests, a library user evaluating specs).
 */
import { Decimal } from 'decimal.js';
import type { AuditStore, ExposurePublication } from '../audit/types.js';
import { sha256Hex } from '../hashing.js';
import type { OrderSpec } from '../models.js';
import { DuplicateGuard, duplicateKey } from './duplicate-guard.js';
import { OrderRateWindow } from './rate-window.js';

/**
 * The rate limits count order messages: placements and modifications. A
 * modification is a placeOrder with the working order's id at IBKR, a message
 * like a new order (the TWS API's 50 messages/s pacing and IBKR's order
 * efficiency ratio count it the same way), so MAX_ORDERS_PER_MINUTE/DAY
 * bound both together. Cancels are not counted: a limit must never stand in
 * the way of taking risk off.
 */
export interface SafetyHistory {
  /** Order messages (placements and modifications) in the 60 seconds ending at `now` (one exactly 60 s old has left the window). */
  placedLastMinute(now: number): number;
  /** Order messages (placements and modifications) since `dayStart` (inclusive), up to `now`. */
  placedSince(dayStart: number, now: number): number;
  /** Milliseconds since the same order (same account) was last placed, or null. */
  sinceIdentical(spec: OrderSpec, accountId: string, now: number): number | null;
  /** Counts a placement the caller has not written anywhere else (the memory source; the store's rows count themselves). */
  record(spec: OrderSpec, accountId: string, now: number): void;
  /** Counts a modification sent or simulated (the memory source; the store's audit rows count themselves). */
  recordModification(now: number): void;
  /** Realised P&L of the account's fills since `dayStart`, or null when this source does not know fills. */
  realizedSince(accountId: string, dayStart: number): Decimal | null;
  /** Broker rejections in a row since the last accepted order (the circuit breaker's count). */
  rejectionStreak(): number;
  setRejectionStreak(count: number): void;
}

/**
 * The store's name for the circuit breaker's count. Kept in the store like the
 * kill switch it engages: a gateway restarted between two rejections, or a CLI
 * process that placed one of them, continues the same streak. Two processes
 * recording a rejection at the same instant can both read n and write n+1 (a
 * read and a write, not one transaction); the streak then trips one rejection
 * later, never earlier.
 */
export const CIRCUIT_BREAKER_STATE = 'circuitBreaker';
interface CircuitBreakerState {
  consecutiveRejections: number;
}

/** What the checks need from the history for one order, read before the checks run. */
export interface HistoryFacts {
  /**
   * Order messages (placements and modifications, see SafetyHistory) in the 60 seconds ending at `now`:
   * of every account, or of the order's account alone when it has its own maxOrdersPerMinute (RISK_FILE accounts).
   */
  placedLastMinute: number;
  /** Order messages (placements and modifications) since the risk day started (the account's alone when it has its own maxOrdersPerDay). */
  placedToday: number;
  /** Milliseconds since the same order (same account) was last placed, or null. */
  sinceIdentical: number | null;
  /** Realised P&L of the account's fills today, or null when the source does not know fills. */
  realizedToday: Decimal | null;
  /** Every account's published exposure, when the risk file sets desk limits (see desk.ts). */
  desk?: ExposurePublication[];
}

/** The store as a history source: asynchronous reads (the store may be across a network). */
export interface StoreHistory {
  /** `riskKey`: riskKeyOf(spec, accountId), when the caller has it already. */
  facts(spec: OrderSpec, accountId: string, now: number, dayStart: number, riskKey?: string): Promise<HistoryFacts>;
  realizedSince(accountId: string, dayStart: number): Promise<Decimal>;
  /** The circuit breaker's count, shared by every process on the store. */
  rejectionStreak(): Promise<number>;
  /** `correlationId`: the request whose order's outcome moved the count (its state row carries it). */
  setRejectionStreak(count: number, correlationId?: string): Promise<void>;
  /** Every account's published exposure (desk limits). */
  exposures(): Promise<ExposurePublication[]>;
  /** One account's order messages (placements and modifications) in (from, now], or [from, now] with `fromInclusive`. */
  accountMessages(accountId: string, fromMs: number, fromInclusive: boolean, nowMs: number): Promise<number>;
}

/**
 * Hashes of recent canonical texts. A bot repeats the same few specs and the hash is the costly part,
 * so it is remembered by the exact text it was made from (never by object, so a spec changed in place
 * still gets its own key). The order path builds an order's key once (assess.ts) for both the duplicate
 * check and the placement row. Bounded: cleared when full.
 */
const recentKeys = new Map<string, string>();
const RECENT_KEYS_LIMIT = 256;

/** The key the duplicate guard compares, as stored on a placed order's row (a hash: the canonical text can be long). */
export const riskKeyOf = (spec: OrderSpec, accountId: string): string => {
  const text = duplicateKey(spec, accountId);
  let key = recentKeys.get(text);
  if (key === undefined) {
    key = sha256Hex(text);
    if (recentKeys.size >= RECENT_KEYS_LIMIT) recentKeys.clear();
    recentKeys.set(text, key);
  }
  return key;
};

const iso = (ms: number): string => new Date(ms).toISOString();
const MINUTE_MS = 60_000;

export function storeHistory(audit: AuditStore): StoreHistory {
  // Today's realised P&L is followed incrementally: rows after the last one
  // read, deduplicated by execution id (every version of an order repeats its fills).
  const days = new Map<string, { dayStart: number; lastRowId: number; seen: Set<string>; sum: Decimal }>();
  // The circuit breaker's count as read under a state mark (rejectionStreak).
  let streak: { mark: string; count: number } | null = null;
  // The risk day's start as text, kept while the day lasts (it changes once a day).
  let dayText: { ms: number; iso: string } | null = null;
  const isoOfDay = (ms: number): string => {
    if (dayText?.ms !== ms) dayText = { ms, iso: iso(ms) };
    return dayText.iso;
  };
  async function realizedSince(accountId: string, dayStart: number, dayIso = isoOfDay(dayStart)): Promise<Decimal> {
    let day = days.get(accountId);
    if (!day || day.dayStart !== dayStart) {
      day = { dayStart, lastRowId: 0, seen: new Set(), sum: new Decimal(0) };
      days.set(accountId, day);
    }
    // Two reads in flight may return the same rows: the execId set counts each fill once.
    const { fills, lastRowId } = await audit.fillsSince(accountId, dayIso, day.lastRowId);
    for (const f of fills) {
      if (day.seen.has(f.execId)) continue;
      day.seen.add(f.execId);
      if (f.realizedPnl !== null) day.sum = day.sum.plus(f.realizedPnl);
    }
    day.lastRowId = Math.max(day.lastRowId, lastRowId);
    return day.sum;
  }
  return {
    realizedSince,
    exposures: () => audit.exposures(),
    accountMessages: (accountId, fromMs, fromInclusive, nowMs) => audit.countAccountMessages(accountId, iso(fromMs), fromInclusive, iso(nowMs)),
    async rejectionStreak() {
      // Read after every order's outcome: kept, like the kill switch (kill-switch.ts), while the store's state mark
      // stands (another process's commit and this handle's setState move it; its order rows do not), so an order
      // costs the mark the order path has read already in that callback instead of a named state's read.
      const mark = await audit.stateMark();
      if (streak?.mark === mark) return streak.count;
      const count = (await audit.getState<CircuitBreakerState>(CIRCUIT_BREAKER_STATE))?.consecutiveRejections ?? 0;
      streak = { mark, count };
      return count;
    },
    async setRejectionStreak(count, correlationId) {
      const value: CircuitBreakerState = { consecutiveRejections: count };
      await audit.setState(CIRCUIT_BREAKER_STATE, value, correlationId === undefined ? undefined : { correlationId });
    },
    async facts(spec, accountId, now, dayStart, riskKey = riskKeyOf(spec, accountId)) {
      const dayIso = isoOfDay(dayStart);
      // The counts and the last identical order in one store read (rate-facts.ts), beside the day's fills.
      const [rate, realizedToday] = await Promise.all([
        audit.rateFacts({ minuteFromIso: iso(now - MINUTE_MS), dayFromIso: dayIso, toIso: iso(now), riskKey }),
        realizedSince(accountId, dayStart, dayIso),
      ]);
      return {
        placedLastMinute: rate.messagesLastMinute,
        placedToday: rate.messagesToday,
        sinceIdentical: rate.lastIdenticalAt === null ? null : now - Date.parse(rate.lastIdenticalAt),
        realizedToday,
      };
    },
  };
}

/** `retainMs`: the widest duplicate window any symbol uses. */
export function memoryHistory(resetTime: string, retainMs: number): SafetyHistory {
  const rate = new OrderRateWindow(resetTime);
  const duplicates = new DuplicateGuard(retainMs);
  let streak = 0;
  return {
    placedLastMinute: (now) => rate.lastMinute(now),
    placedSince: (_dayStart, now) => rate.today(now),
    sinceIdentical: (spec, accountId, now) => duplicates.sinceLast(spec, accountId, now),
    record(spec, accountId, now) {
      rate.record(now);
      duplicates.record(spec, accountId, now);
    },
    // Rates only: a modification is the same order, so the duplicate guard does not see it.
    recordModification: (now) => rate.record(now),
    realizedSince: () => null,
    rejectionStreak: () => streak,
    setRejectionStreak(count) {
      streak = count;
    },
  };
}
