/**
 * Request shapes as they arrive over HTTP, built from the models' fields.
 *
 * A query string carries only strings, so the numeric and boolean fields of
 * the models get a strict conversion in front: "12.5" becomes 12.5, "true" and
 * "false" become booleans, and anything else ("NaN", "", "yes") reaches the
 * model's own schema unchanged and fails there with the model's message.
 * z.coerce is not used because it turns "false" into true and "" into 0.
 * Everything else (limits, enums, unknown-field rejection) is the models'.
 */
import { z } from 'zod';
import { KillSwitchAccount, OrderId } from '../core/models.js';
import { HistoricalRequest, instrumentFields, Symbol, SymbolSpec } from '../core/models.js';
import { memoisedQuery } from './query-memo.js';

const NUMBER_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

const fromQueryNumber = (value: unknown): unknown => (typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : value);

const fromQueryBoolean = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  const s = value.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return value;
};

/** The model's strike, read from a query string. */
const strike = z
  .preprocess(fromQueryNumber, instrumentFields.strike.unwrap())
  .optional()
  .describe(instrumentFields.strike.description ?? 'Option strike');

/**
 * GET /api/market/quote and /api/contracts/resolve. Pure (plain fields, a constant default, a pure
 * number conversion): its parse is remembered per query text (query-memo.ts).
 */
export const InstrumentQuery = memoisedQuery(SymbolSpec.extend({ strike }));

/** GET /api/market/historical. */
export const HistoricalQuery = HistoricalRequest.extend({
  strike,
  useRth: z.preprocess(fromQueryBoolean, HistoricalRequest.shape.useRth),
});

/** GET /api/account/*: the account defaults to the first managed one. */
export const AccountQuery = z.strictObject({
  account: z.string().trim().min(1).max(32).optional().describe('Account id; default the first managed account'),
});

/** GET /api/market/stream?symbols=AAPL,MSFT */
export const StreamQuery = z.strictObject({
  symbols: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(Symbol).min(1, 'symbols must name at least one symbol').max(50, 'at most 50 symbols per stream'))
    .transform((list) => [...new Set(list)])
    .describe('Comma-separated symbols, e.g. AAPL,MSFT (at most 50)'),
  securityType: instrumentFields.securityType,
});

export const OrderParams = z.strictObject({ orderId: OrderId });

/** Headers of POST /api/orders/place; loose because every other header must pass through untouched. */
export const PlaceHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .trim()
    .min(1)
    .max(128)
    .optional()
    .describe('A retry with the same key returns the first result and places nothing; the same key with a different body is 409'),
});

/** POST /api/admin/kill-switch */
export const KillSwitchRequest = z.strictObject({
  engaged: z.boolean().describe('true blocks new orders and cancels working ones; false releases'),
  reason: z.string().trim().min(1).max(500).nullable().optional().describe('Why; recorded in the audit log'),
  cancelWorking: z.boolean().optional().describe('Engaging cancels the working orders (default true), in every gateway on the store; false only blocks new orders'),
  account: KillSwitchAccount.optional().describe("Engage or release one account's switch instead of the desk-wide one"),
});

export const KillSwitchQuery = z.strictObject({ account: KillSwitchAccount.optional() });

/** Prometheus text exposition. */
export const MetricsText = z.string().describe('Prometheus text exposition format');
