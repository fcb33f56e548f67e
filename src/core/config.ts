/**
 * Configuration: environment (and `.env` if present) -> a validated Config.
 *
 * CONFIG_TABLE is the one place a variable is declared: its name, default,
 * what it accepts, how it parses and where it sits in the Config object. The
 * Config type, parseConfig and `.env.example` are all derived from it, so a
 * new variable is one entry. A value that does not parse is an error naming
 * the variable, the value and what it accepts: `ibkr-gateway start` exits 2
 * with that line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from './errors.js';
import type { BrokerKind, SecurityType, TradingMode } from './models.js';
import { SecurityType as SecurityTypeSchema } from './models.js';

export type Env = Record<string, string | undefined>;

/** Raw text -> a value, or undefined when the text is not accepted. */
type Parser<T> = (raw: string) => T | undefined;

/** One environment variable and how it becomes a value of the Config. */
export interface Variable<V = unknown> {
  readonly name: string;
  /** Raw default as it would be written in .env; undefined = unset. */
  readonly default: string | undefined;
  readonly accepts: string;
  readonly description: string;
  /** Never echoed in an error message. */
  readonly secret: boolean;
  readonly parse: Parser<V>;
  /** The value when neither the environment nor the default gives one (a variable may depend on another). */
  readonly unset: (env: Env) => V;
}

interface Described {
  name: string;
  accepts: string;
  description: string;
  secret?: boolean;
}

/** A variable with a default: it always has a value. */
function setting<T>(spec: Described & { default: string; parse: Parser<T> }): Variable<T> {
  return {
    ...spec,
    secret: spec.secret ?? false,
    unset: () => {
      // Unreachable while the default parses; kept so a default removed by mistake is a clear error.
      throw new ConfigError(spec.name, `Invalid configuration: ${spec.name} is required; it accepts ${spec.accepts}`);
    },
  };
}

/** A variable without a default: null when unset, unless `unset` computes a value. */
function optional<T>(spec: Described & { parse: Parser<T> }): Variable<T | null>;
function optional<T>(spec: Described & { parse: Parser<T>; unset: (env: Env) => T }): Variable<T>;
function optional<T>(spec: Described & { parse: Parser<T>; unset?: (env: Env) => T }): Variable<T | null> {
  return { ...spec, default: undefined, secret: spec.secret ?? false, unset: spec.unset ?? (() => null) };
}

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) => {
    const lower = raw.trim().toLowerCase();
    return values.find((x) => x.toLowerCase() === lower);
  };

const bool: Parser<boolean> = (raw) => {
  const s = raw.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
};

const int =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const s = raw.trim();
    if (!/^-?\d+$/.test(s)) return undefined;
    const n = Number(s);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  };

const positiveNumber: Parser<number> = (raw) => {
  const s = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

const text: Parser<string> = (raw) => (raw.trim() === '' ? undefined : raw.trim());

const url: Parser<string> = (raw) => {
  try {
    const u = new URL(raw.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? raw.trim().replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
};

const postgresUrl: Parser<string> = (raw) => {
  try {
    const u = new URL(raw.trim());
    return u.protocol === 'postgres:' || u.protocol === 'postgresql:' ? raw.trim() : undefined;
  } catch {
    return undefined;
  }
};

const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');

const securityTypes: Parser<SecurityType[]> = (raw) => {
  const items = list(raw) ?? [];
  const parsed = items.map((s) => SecurityTypeSchema.safeParse(s));
  return parsed.every((p) => p.success) ? parsed.map((p) => p.data as SecurityType) : undefined;
};

const absolutePath: Parser<string> = (raw) => {
  const path = text(raw);
  return path === undefined ? undefined : resolve(path);
};

const timeOfDay: Parser<string> = (raw) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(raw.trim()) ? raw.trim() : undefined);

/** read ⊂ trade ⊂ admin; `approve` (decide other keys' pending orders) stands beside them and includes read. */
export type ApiScope = 'read' | 'trade' | 'admin' | 'approve';
export interface ApiKey {
  /** A display name for logs and audit rows: never the key itself. */
  name: string;
  key: string;
  scopes: ReadonlySet<ApiScope>;
  /** Marked `agent` in API_KEYS: an AI agent's key, whose orders APPROVAL_REQUIRED=agent holds for a person. */
  agent?: boolean;
}

const SCOPES: readonly ApiScope[] = ['read', 'trade', 'admin', 'approve'];

/** What APPROVAL_REQUIRED accepts: which orders wait for a person's approval before they are sent. */
export type ApprovalPolicy = 'none' | 'agent' | 'all';

/** A key's optional display name: a letter, then letters, digits, `_`, `.` or `-`. */
const KEY_NAME = /^([A-Za-z][\w.-]{0,31})=(.+)$/;

/**
 * Parses API_KEYS: "KEY", "KEY:read+trade" or "name=KEY:read+trade", comma-separated.
 * The name is what logs and audit rows record (default key1, key2, ... by position):
 * it carries nothing of the key, so a log or an audit export never leaks a secret.
 */
export function parseApiKeys(raw: string): ApiKey[] | undefined {
  const keys: ApiKey[] = [];
  for (const [i, part] of raw.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    // A `name=` prefix only when what follows is itself a usable key, so a key with `=` in it (base64 padding) still reads as a key.
    const named = KEY_NAME.exec(part);
    const usable = (k: string): boolean => k.length >= 8 && !/\s/.test(k);
    const [name, rest] = named?.[1] && named[2] && usable(named[2].split(':', 1)[0] ?? '') ? [named[1], named[2]] : [`key${i + 1}`, part];
    const [key, scopeText] = rest.split(':', 2) as [string, string | undefined];
    if (!usable(key)) return undefined;
    const scopes = new Set<ApiScope>();
    let agent = false;
    for (const s of (scopeText ?? 'read').split('+').map((x) => x.trim().toLowerCase())) {
      // `agent` is a marker, not a permission: it says who is behind the key.
      if (s === 'agent') {
        agent = true;
        continue;
      }
      const scope = SCOPES.find((x) => x === s);
      if (!scope) return undefined;
      scopes.add(scope);
    }
    if (scopes.size === 0) scopes.add('read');
    if (keys.some((k) => k.name === name)) return undefined;
    keys.push(agent ? { name, key, scopes, agent } : { name, key, scopes });
  }
  return keys.length > 0 ? keys : undefined;
}

/** The value of one variable in `env`; throws ConfigError naming it when the value is not accepted. */
function valueOf<V>(variable: Variable<V>, env: Env): V {
  const given = env[variable.name];
  const raw = given !== undefined && given.trim() !== '' ? given : variable.default;
  if (raw === undefined) return variable.unset(env);
  const value = variable.parse(raw);
  if (value === undefined) {
    const shown = variable.secret ? '(hidden)' : JSON.stringify(raw);
    throw new ConfigError(variable.name, `Invalid configuration: ${variable.name}=${shown} is not accepted; ${variable.name} accepts ${variable.accepts}`);
  }
  return value;
}

// Declared before the table because IBKR_PORT's default depends on it.
const TRADING_MODE = setting({ name: 'TRADING_MODE', default: 'paper', accepts: 'paper | live', description: 'paper: only paper accounts (ids starting with D) receive orders; live: needs the override file', parse: oneOf<TradingMode>('paper', 'live') });

/**
 * Every variable the gateway reads, placed where its value sits in Config.
 * Order here is the order of .env.example.
 */
export const CONFIG_TABLE = {
  broker: setting({ name: 'BROKER', default: 'sim', accepts: 'sim | tws', description: 'sim: the embedded simulated broker; tws: IB Gateway or TWS', parse: oneOf<BrokerKind>('sim', 'tws') }),
  ibkr: {
    host: setting({ name: 'IBKR_HOST', default: '127.0.0.1', accepts: 'a host name or IP', description: 'IB Gateway / TWS host (BROKER=tws)', parse: text }),
    port: optional({ name: 'IBKR_PORT', accepts: 'an integer 1-65535', description: 'IB Gateway / TWS port; default 4002 in paper mode, 4001 in live (TWS: 7497 / 7496)', parse: int(1, 65535), unset: (env: Env): number => (valueOf(TRADING_MODE, env) === 'live' ? 4001 : 4002) }),
    clientId: setting({ name: 'IBKR_CLIENT_ID', default: '1', accepts: 'an integer 0-2147483647', description: 'TWS API client id; fixed so open orders can be reconciled after a reconnect', parse: int(0, 2147483647) }),
  },
  tradingMode: TRADING_MODE,
  ordersEnabled: setting({ name: 'ORDERS_ENABLED', default: 'false', accepts: 'true | false | 1 | 0', description: 'false: orders are validated, risk-checked, recorded and answered SIMULATED; nothing is sent', parse: bool }),
  liveOverrideFile: optional({ name: 'LIVE_TRADING_OVERRIDE_FILE', accepts: 'a file path', description: 'Live orders are sent only while this file exists (checked for every order)', parse: text }),
  api: {
    host: setting({ name: 'API_HOST', default: '127.0.0.1', accepts: 'a host name or IP', description: 'Address the REST API listens on', parse: text }),
    port: setting({ name: 'API_PORT', default: '8000', accepts: 'an integer 0-65535 (0 = any free port)', description: 'Port the REST API listens on', parse: int(0, 65535) }),
    keys: optional({ name: 'API_KEYS', accepts: '[NAME=]KEY[:SCOPES], comma-separated; SCOPES = read, trade, admin, approve joined by +, plus the marker agent for an AI agent\'s key (keys at least 8 characters; NAME, default key1, key2, ..., is what logs and audit rows record)', description: 'API keys; unset: a random admin key is created in DATA_DIR/api-key on first start; set: only these keys are accepted (the generated key no longer works)', parse: parseApiKeys, secret: true }),
    publicDocs: setting({ name: 'PUBLIC_DOCS', default: 'false', accepts: 'true | false | 1 | 0', description: 'true: /docs and /openapi.json answer without an API key (otherwise they need read)', parse: bool }),
    rateLimitPerMinute: setting({ name: 'API_RATE_LIMIT_PER_MINUTE', default: '6000', accepts: 'an integer 1-10000000', description: 'Requests per minute per API key before 429', parse: int(1, 10_000_000) }),
    maxStreamsPerKey: setting({ name: 'API_MAX_STREAMS_PER_KEY', default: '16', accepts: 'an integer 1-1000', description: 'Event streams (quote and order SSE) one API key may hold open at once; one more is refused 429 STREAM_LIMIT_REACHED', parse: int(1, 1000) }),
  },
  dataDir: setting({ name: 'DATA_DIR', default: './data', accepts: 'a directory path', description: 'Where audit.db, sim.db, the bar cache and the generated API key live', parse: absolutePath }),
  databaseUrl: optional({ name: 'DATABASE_URL', accepts: 'a postgres:// or postgresql:// URL', description: 'Keep the audit log, orders, idempotency keys and the kill switch in this PostgreSQL database, shared by every gateway that names it (set the same AUDIT_HMAC_KEY on each); unset: DATA_DIR/audit.db (SQLite)', parse: postgresUrl, secret: true }),
  auditHmacKey: optional({ name: 'AUDIT_HMAC_KEY', accepts: 'at least 32 characters', description: 'Key of the audit chain HMAC; unset: DATA_DIR/audit.key, generated on first start (mode 0600)', parse: (raw) => (raw.trim().length >= 32 ? raw.trim() : undefined), secret: true }),
  logLevel: setting({ name: 'LOG_LEVEL', default: 'info', accepts: 'fatal | error | warn | info | debug | trace | silent', description: 'Log level', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
  logFormat: setting({ name: 'LOG_FORMAT', default: 'auto', accepts: 'auto | json | pretty', description: 'auto: one readable line per event on a terminal, JSON otherwise; json: always JSON (for log shippers)', parse: oneOf<'auto' | 'json' | 'pretty'>('auto', 'json', 'pretty') }),
  mcp: {
    apiUrl: setting({ name: 'MCP_API_URL', default: 'http://127.0.0.1:8000', accepts: 'an http(s) URL', description: 'REST API the MCP server calls', parse: url }),
    apiKey: optional({ name: 'MCP_API_KEY', accepts: 'an API key', description: 'Key the MCP server sends to the REST API', parse: text, secret: true }),
    timeoutMs: setting({ name: 'MCP_TIMEOUT_MS', default: '10000', accepts: 'an integer 1-3600000', description: 'Deadline of each REST call the MCP server makes, in milliseconds (mcp --timeout-ms overrides it)', parse: int(1, 3_600_000) }),
  },
  cli: {
    gatewayUrl: optional({ name: 'IBKR_GATEWAY_URL', accepts: 'an http(s) URL', description: 'CLI: talk to the gateway at this URL over REST (--api-url overrides it); unset: the one running on DATA_DIR (DATA_DIR/gateway.json), else open the broker', parse: url }),
    gatewayApiKey: optional({ name: 'IBKR_GATEWAY_API_KEY', accepts: 'an API key', description: "CLI: key sent to the running gateway; unset: its DATA_DIR/api-key, else the strongest key in API_KEYS", parse: text, secret: true }),
  },
  approvals: {
    required: optional({
      name: 'APPROVAL_REQUIRED',
      accepts: 'none | agent | all',
      description: 'Orders that wait for a person (a key with the approve scope, never the placing key) before they are sent: agent = orders of keys marked agent; default agent in live mode, none in paper mode',
      parse: oneOf<ApprovalPolicy>('none', 'agent', 'all'),
      unset: (env: Env): ApprovalPolicy => (valueOf(TRADING_MODE, env) === 'live' ? 'agent' : 'none'),
    }),
    file: optional({ name: 'APPROVAL_FILE', accepts: 'a JSON file path', description: 'Finer approval rules: above a notional, on symbols, outside a time window, per key (see README)', parse: absolutePath }),
    expirySeconds: setting({ name: 'APPROVAL_EXPIRY_SECONDS', default: '300', accepts: 'an integer 10-86400', description: 'A pending approval not decided within this many seconds is rejected (APPROVAL_EXPIRED)', parse: int(10, 86400) }),
    priceTolerancePercent: setting({ name: 'APPROVAL_PRICE_TOLERANCE_PERCENT', default: '1', accepts: 'a positive number', description: 'An approval fails while the price has moved more than this % since the order was requested', parse: positiveNumber }),
    webhookUrl: optional({ name: 'APPROVAL_WEBHOOK_URL', accepts: 'an http(s) URL', description: 'POSTed (HMAC-signed, retried with back-off) when an order starts waiting and when it is decided', parse: url }),
    webhookSecret: optional({ name: 'APPROVAL_WEBHOOK_SECRET', accepts: 'at least 16 characters', description: 'Key of the webhook HMAC-SHA256 signature (required with APPROVAL_WEBHOOK_URL)', parse: (raw) => (raw.trim().length >= 16 ? raw.trim() : undefined), secret: true }),
  },
  previewTtlSeconds: setting({ name: 'PREVIEW_TTL_SECONDS', default: '300', accepts: 'an integer 10-86400', description: 'How long a previewId stays valid for placing', parse: int(10, 86400) }),
  sim: {
    seed: setting({ name: 'SIM_SEED', default: '42', accepts: 'an integer 0-2147483647', description: 'Seed of the simulated market: same seed, same prices', parse: int(0, 2147483647) }),
    session: setting({ name: 'SIM_SESSION', default: 'real', accepts: 'real | always-open', description: 'real: US market hours; always-open: every market open (tests, demos)', parse: oneOf('real', 'always-open') }),
    startingCash: setting({ name: 'SIM_STARTING_CASH', default: '1000000', accepts: 'a positive number', description: 'Cash of a fresh simulated account (in SIM_BASE_CURRENCY)', parse: positiveNumber }),
    baseCurrency: setting({ name: 'SIM_BASE_CURRENCY', default: 'USD', accepts: 'USD | EUR | GBP | JPY', description: 'Base currency of a fresh simulated account (cash totals, P&L, net liquidation, risk notional); an existing sim.db keeps its own', parse: oneOf('USD', 'EUR', 'GBP', 'JPY') }),
    commissionPlan: setting({ name: 'SIM_COMMISSIONS', default: 'fixed', accepts: 'fixed | tiered', description: "IBKR Pro pricing plan the simulator charges (regulatory and exchange fees on top, as IBKR passes them through)", parse: oneOf('fixed', 'tiered') }),
    accountId: setting({ name: 'SIM_ACCOUNT_ID', default: 'DU1234567', accepts: 'an account id', description: 'Account id of the simulated account (paper ids start with D)', parse: text }),
    depthHalfLifeMs: setting({ name: 'SIM_DEPTH_HALF_LIFE_MS', default: '30000', accepts: 'an integer 1-3600000', description: 'Half-life in milliseconds of the simulated book refilling after an order takes liquidity (impact persists)', parse: int(1, 3_600_000) }),
  },
  risk: {
    maxOrderQuantity: setting({ name: 'MAX_ORDER_QUANTITY', default: '100000', accepts: 'a positive number', description: 'Risk: max quantity of one order (the default lets a standard 100,000 FX lot through)', parse: positiveNumber }),
    maxOrderNotional: setting({ name: 'MAX_ORDER_NOTIONAL', default: '600000', accepts: 'a positive number', description: 'Risk: max notional of one order, in the account currency (the default lets one contract of any listed future through, NQ being the largest)', parse: positiveNumber }),
    maxPositionNotional: setting({ name: 'MAX_POSITION_NOTIONAL', default: '600000', accepts: 'a positive number', description: 'Risk: max notional of the position in one instrument after the order, in the account currency', parse: positiveNumber }),
    maxGrossExposure: setting({ name: 'MAX_GROSS_EXPOSURE', default: '2000000', accepts: 'a positive number', description: 'Risk: max gross position value after the order', parse: positiveNumber }),
    maxDailyLoss: setting({ name: 'MAX_DAILY_LOSS', default: '50000', accepts: 'a positive number', description: 'Risk: max loss today (realised + unrealised); hitting it engages the kill switch', parse: positiveNumber }),
    dailyLossResetTime: setting({ name: 'DAILY_LOSS_RESET_TIME', default: '17:00', accepts: 'HH:MM (America/New_York)', description: 'When the daily loss and order counts reset', parse: timeOfDay }),
    maxOrdersPerMinute: setting({ name: 'MAX_ORDERS_PER_MINUTE', default: '60', accepts: 'an integer 1-1000000', description: 'Risk: max order messages per minute (placements and modifications of working orders; cancels are never limited)', parse: int(1, 1_000_000) }),
    maxOrdersPerDay: setting({ name: 'MAX_ORDERS_PER_DAY', default: '2000', accepts: 'an integer 1-100000000', description: 'Risk: max order messages per day (placements and modifications; resets at DAILY_LOSS_RESET_TIME)', parse: int(1, 100_000_000) }),
    allowedSymbols: optional({ name: 'ALLOWED_SYMBOLS', accepts: 'comma-separated symbols', description: 'Risk: if set, only these symbols may be traded', parse: list }),
    blockedSymbols: optional({ name: 'BLOCKED_SYMBOLS', accepts: 'comma-separated symbols', description: 'Risk: these symbols may not be traded', parse: list, unset: () => [] }),
    allowedSecurityTypes: setting({ name: 'ALLOWED_SECURITY_TYPES', default: 'STK,ETF,FUT,OPT,IND,CASH,CFD,BOND,FUND,CRYPTO', accepts: 'comma-separated security types', description: 'Risk: security types that may be traded', parse: securityTypes }),
    priceBandPercent: setting({ name: 'PRICE_BAND_PERCENT', default: '10', accepts: 'a positive number', description: 'Risk: limit/stop prices at most this % away from the last price', parse: positiveNumber }),
    duplicateOrderWindowSeconds: setting({ name: 'DUPLICATE_ORDER_WINDOW_SECONDS', default: '5', accepts: 'an integer 0-86400 (0 = off)', description: 'Risk: refuse the same order spec again within this many seconds', parse: int(0, 86400) }),
    reduceOnly: setting({ name: 'REDUCE_ONLY', default: 'false', accepts: 'true | false | 1 | 0', description: 'Risk: only orders that shrink a position pass', parse: bool }),
    circuitBreakerRejections: setting({ name: 'CIRCUIT_BREAKER_REJECTIONS', default: '5', accepts: 'an integer 0-1000 (0 = off)', description: 'Engage the kill switch after this many consecutive rejections', parse: int(0, 1000) }),
    riskFile: optional({ name: 'RISK_FILE', accepts: 'a JSON file path', description: 'Per-symbol and per-account risk overrides, and desk-wide limits across gateways (see README, Risk limits)', parse: text }),
  },
} as const;

interface Group {
  readonly [key: string]: Variable | Group;
}

/** The Config shape of a table group: each variable becomes its value, each group an object. */
type ConfigOf<G> = { -readonly [K in keyof G]: G[K] extends Variable<infer V> ? V : ConfigOf<G[K]> };

export type Config = ConfigOf<typeof CONFIG_TABLE>;
export type RiskLimits = Config['risk'];

const isVariable = (node: Variable | Group): node is Variable => typeof node.parse === 'function';

function flatten(group: Group): Variable[] {
  return Object.values(group).flatMap((node) => (isVariable(node) ? [node] : flatten(node)));
}

/** Every variable, in table order. */
export const VARIABLES: readonly Variable[] = flatten(CONFIG_TABLE);

function build<G extends Group>(group: G, env: Env): ConfigOf<G> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(group)) out[key] = isVariable(node) ? valueOf(node, env) : build(node, env);
  // The loop above gives every key of G the value its entry declares.
  return out as ConfigOf<G>;
}

/** Reads `.env` from `dir` (if present) under the process environment: real environment variables win. */
export function loadEnv(processEnv: Env = process.env, dir: string = process.cwd()): Env {
  const file = resolve(dir, '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...processEnv };
}

/** Builds a Config from an environment; throws ConfigError naming the first bad variable (in table order). */
export function parseConfig(env: Env): Config {
  return build(CONFIG_TABLE, env);
}

/** The text of .env.example: every variable, its default and what it accepts. */
export function envExample(): string {
  const lines = ['# ibkr-gateway configuration. Copy to .env and edit; real environment variables win over .env.', ''];
  for (const variable of VARIABLES) {
    lines.push(`# ${variable.description}. Accepts: ${variable.accepts}.`);
    lines.push(variable.default === undefined ? `# ${variable.name}=` : `${variable.name}=${variable.default}`);
    lines.push('');
  }
  return lines.join('\n');
}

function withoutPassword(raw: string): string {
  const u = new URL(raw);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

/** The configuration as it may be written to the audit log: key names and scopes, never key values. */
export function publicConfig(config: Config): Record<string, unknown> {
  const { auditHmacKey, databaseUrl, ...rest } = config;
  const { webhookSecret, ...approvals } = config.approvals;
  return {
    ...rest,
    auditHmacKeySet: auditHmacKey !== null,
    // Where the store is, never its password.
    databaseUrl: databaseUrl === null ? null : withoutPassword(databaseUrl),
    api: { ...config.api, keys: config.api.keys === null ? null : config.api.keys.map((k) => ({ name: k.name, scopes: [...k.scopes], ...(k.agent ? { agent: true } : {}) })) },
    mcp: { apiUrl: config.mcp.apiUrl, apiKeySet: config.mcp.apiKey !== null, timeoutMs: config.mcp.timeoutMs },
    approvals: { ...approvals, webhookSecretSet: webhookSecret !== null },
  };
}
