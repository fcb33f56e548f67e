/**
 * The risk file (RISK_FILE): per-symbol and per-account overrides of the
 * environment limits, and desk-wide limits across every gateway on one store.
 *
 * Shape:
 *   { "symbols":  { "AAPL": { "maxOrderQuantity": 500, "blocked": false, ... } },
 *     "accounts": { "DU111": { "maxOrderNotional": 50000, "maxDailyLoss": 5000, ... } },
 *     "desk":     { "maxGrossExposure": 5000000, "maxDailyLoss": 100000, "currency": "USD" } }
 * Objects are strict: a misspelt key ("maxOrderQty") is an error rather than a
 * limit silently not applied. Symbol keys are case-insensitive, like order
 * symbols; two keys naming the same symbol ("spy" and "SPY") are an error
 * because it would be unclear which one wins. Account ids are matched exactly,
 * as IBKR spells them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RiskLimits } from '../config.js';
import { ConfigError } from '../errors.js';

const positive = z.number().positive().max(1e15);

export const SymbolOverrideSchema = z.strictObject({
  maxOrderQuantity: positive.optional(),
  maxOrderNotional: positive.optional(),
  maxPositionNotional: positive.optional(),
  priceBandPercent: positive.optional(),
  duplicateOrderWindowSeconds: z.number().int().min(0).max(86400).optional(),
  reduceOnly: z.boolean().optional(),
  /** true: the symbol may not be traded (added to BLOCKED_SYMBOLS for it). */
  blocked: z.boolean().optional(),
});
export type SymbolOverride = z.infer<typeof SymbolOverrideSchema>;

/** The environment's limit fields an account may set for itself (in the account's currency). */
export const AccountLimitsSchema = z.strictObject({
  maxOrderQuantity: positive.optional(),
  maxOrderNotional: positive.optional(),
  maxPositionNotional: positive.optional(),
  maxGrossExposure: positive.optional(),
  maxDailyLoss: positive.optional(),
  /** Set: this account's own order messages are counted against it, instead of every account's against MAX_ORDERS_PER_MINUTE. */
  maxOrdersPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  maxOrdersPerDay: z.number().int().min(1).max(100_000_000).optional(),
});
export type AccountLimits = z.infer<typeof AccountLimitsSchema>;

/**
 * Limits on the whole desk: every account of every gateway on the store, as
 * the gateways publish their exposure (see desk.ts). Amounts are in `currency`.
 */
export const DeskLimitsSchema = z.strictObject({
  /** Sum of |position value at mark| over every account, after the order. */
  maxGrossExposure: positive.optional(),
  /** The desk's loss today (the negative of the summed daily P&L) at which new orders stop. */
  maxDailyLoss: positive.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'a three-letter currency code').default('USD'),
  /** How often each gateway publishes its accounts' exposure (also after each fill). */
  publishIntervalSeconds: z.number().int().min(1).max(3600).default(5),
  /** A publication older than this counts conservatively (see desk.ts). */
  staleAfterSeconds: z.number().int().min(2).max(86400).default(30),
});
export type DeskLimits = z.infer<typeof DeskLimitsSchema>;

export const RiskFileSchema = z
  .strictObject({
    description: z.string().optional(),
    symbols: z.record(z.string().trim().min(1), SymbolOverrideSchema).default({}),
    accounts: z.record(z.string().trim().min(1), AccountLimitsSchema).default({}),
    desk: DeskLimitsSchema.optional(),
  })
  .superRefine((file, ctx) => {
    const desk = file.desk;
    if (desk && desk.staleAfterSeconds <= desk.publishIntervalSeconds) {
      ctx.addIssue({ code: 'custom', path: ['desk', 'staleAfterSeconds'], message: 'must be longer than publishIntervalSeconds, or every publication would be stale before the next one' });
    }
    const seen = new Set<string>();
    for (const key of Object.keys(file.symbols)) {
      const upper = key.trim().toUpperCase();
      if (seen.has(upper)) ctx.addIssue({ code: 'custom', path: ['symbols', key], message: `symbol ${upper} appears more than once` });
      seen.add(upper);
    }
  })
  .transform((file) => ({ ...file, symbols: normaliseSymbols(file.symbols) }));
export type RiskFile = z.infer<typeof RiskFileSchema>;

/** Upper-cases symbol keys so lookups match order symbols (which models.ts upper-cases). */
export function normaliseSymbols(symbols: Record<string, SymbolOverride>): Record<string, SymbolOverride> {
  return Object.fromEntries(Object.entries(symbols).map(([k, v]) => [k.trim().toUpperCase(), v]));
}

/** Validates an already-parsed risk file; `source` names it in the error. */
export function parseRiskFile(value: unknown, source: string): RiskFile {
  const parsed = RiskFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError('RISK_FILE', `Invalid risk file ${source}: ${problems.join('; ')}`);
}

/** Reads and validates RISK_FILE; any problem is a ConfigError naming the path and the problem. */
export function loadRiskFile(path: string): RiskFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'file does not exist' : `cannot be read (${String(err)})`;
    throw new ConfigError('RISK_FILE', `Invalid risk file ${path}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('RISK_FILE', `Invalid risk file ${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseRiskFile(json, path);
}

const ACCOUNT_FIELDS = ['maxOrderQuantity', 'maxOrderNotional', 'maxPositionNotional', 'maxGrossExposure', 'maxDailyLoss', 'maxOrdersPerMinute', 'maxOrdersPerDay'] as const;

/**
 * The limits of one account: its own values replace the environment's. Then
 * a symbol's overrides apply as before, except where the account and the
 * symbol both set a field: the smaller wins, because neither is more specific
 * than the other and a loosened symbol must not undo an account held tight.
 */
export function limitsForAccountAndSymbol(limits: RiskLimits, account: AccountLimits | undefined, symbol: string, o: SymbolOverride | undefined): RiskLimits {
  if (account === undefined) return applyOverride(limits, symbol, o);
  const base: RiskLimits = { ...limits };
  for (const field of ACCOUNT_FIELDS) base[field] = account[field] ?? limits[field];
  const applied = applyOverride(base, symbol, o);
  for (const field of ACCOUNT_FIELDS) {
    const own = account[field];
    if (own !== undefined) applied[field] = Math.min(own, applied[field]);
  }
  return applied;
}

/**
 * Base limits with one symbol's overrides applied. `blocked: true` adds the
 * symbol to the blocked list and `blocked: false` lifts an environment block
 * for it: the file is the more specific statement.
 */
export function applyOverride(limits: RiskLimits, symbol: string, o: SymbolOverride | undefined): RiskLimits {
  if (o === undefined) return limits;
  const others = limits.blockedSymbols.filter((s) => s !== symbol);
  const blockedSymbols = o.blocked === undefined ? limits.blockedSymbols : o.blocked ? [...others, symbol] : others;
  return {
    ...limits,
    maxOrderQuantity: o.maxOrderQuantity ?? limits.maxOrderQuantity,
    maxOrderNotional: o.maxOrderNotional ?? limits.maxOrderNotional,
    maxPositionNotional: o.maxPositionNotional ?? limits.maxPositionNotional,
    priceBandPercent: o.priceBandPercent ?? limits.priceBandPercent,
    duplicateOrderWindowSeconds: o.duplicateOrderWindowSeconds ?? limits.duplicateOrderWindowSeconds,
    reduceOnly: o.reduceOnly ?? limits.reduceOnly,
    blockedSymbols,
  };
}
