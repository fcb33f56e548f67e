/**
 * Configuration: environment (and `.env` if present) -> a validated Config.
 *
 * Every variable is declared once in VARIABLES with its default and what it
 * accepts; `.env.example` and the start-up error message come from the same
 * table. A value that does not parse is an error naming the variable, the
 * value and what it accepts: `ibkr-gateway start` exits 2 with that line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from './errors.js';
import type { BrokerKind, SecurityType, TradingMode } from './models.js';
import { SecurityType as SecurityTypeSchema } from './models.js';

type Parser<T> = (raw: string) => T | undefined;

interface Variable<T> {
  name: string;
  /** Raw default as it would be written in .env; undefined = unset. */
  default: string | undefined;
  accepts: string;
  description: string;
  parse: Parser<T>;
  secret?: boolean;
}

const v = <T>(def: Variable<T>): Variable<T> => def;

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

const timeOfDay: Parser<string> = (raw) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(raw.trim()) ? raw.trim() : undefined);

/** Every variable the gateway reads. Order here is the order of .env.example. */
export const VARIABLES = {
  BROKER: v({ name: 'BROKER', default: 'sim', accepts: 'sim | tws', description: 'sim: the embedded simulated broker; tws: IB Gateway or TWS', parse: oneOf<BrokerKind>('sim', 'tws') }),
  IBKR_HOST: v({ name: 'IBKR_HOST', default: '127.0.0.1', accepts: 'a host name or IP', description: 'IB Gateway / TWS host (BROKER=tws)', parse: text }),
  IBKR_PORT: v({ name: 'IBKR_PORT', default: undefined, accepts: 'an integer 1-65535', description: 'IB Gateway / TWS port; default 4002 in paper mode, 4001 in live (TWS: 7497 / 7496)', parse: int(1, 65535) }),
  IBKR_CLIENT_ID: v({ name: 'IBKR_CLIENT_ID', default: '1', accepts: 'an integer 0-2147483647', description: 'TWS API client id; fixed so open orders can be reconciled after a reconnect', parse: int(0, 2147483647) }),
  TRADING_MODE: v({ name: 'TRADING_MODE', default: 'paper', accepts: 'paper | live', description: 'paper: only paper accounts (ids starting with D) receive orders; live: needs the override file', parse: oneOf<TradingMode>('paper', 'live') }),
  ORDERS_ENABLED: v({ name: 'ORDERS_ENABLED', default: 'false', accepts: 'true | false | 1 | 0', description: 'false: orders are validated, risk-checked, recorded and answered SIMULATED; nothing is sent', parse: bool }),
  LIVE_TRADING_OVERRIDE_FILE: v({ name: 'LIVE_TRADING_OVERRIDE_FILE', default: undefined, accepts: 'a file path', description: 'Live orders are sent only while this file exists (checked for every order)', parse: text }),
  API_HOST: v({ name: 'API_HOST', default: '127.0.0.1', accepts: 'a host name or IP', description: 'Address the REST API listens on', parse: text }),
  API_PORT: v({ name: 'API_PORT', default: '8000', accepts: 'an integer 0-65535 (0 = any free port)', description: 'Port the REST API listens on', parse: int(0, 65535) }),
  API_KEYS: v({ name: 'API_KEYS', default: undefined, accepts: 'KEY or KEY:SCOPES, comma-separated; SCOPES = read, trade, admin joined by +', description: 'API keys; unset: a random admin key is created in DATA_DIR/api-key on first start', parse: text, secret: true }),
  API_RATE_LIMIT_PER_MINUTE: v({ name: 'API_RATE_LIMIT_PER_MINUTE', default: '6000', accepts: 'an integer 1-10000000', description: 'Requests per minute per API key before 429', parse: int(1, 10_000_000) }),
  DATA_DIR: v({ name: 'DATA_DIR', default: './data', accepts: 'a directory path', description: 'Where audit.db, sim.db, the bar cache and the generated API key live', parse: text }),
  LOG_LEVEL: v({ name: 'LOG_LEVEL', default: 'info', accepts: 'fatal | error | warn | info | debug | trace | silent', description: 'Log level', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
  LOG_FORMAT: v({ name: 'LOG_FORMAT', default: 'auto', accepts: 'auto | json | pretty', description: 'auto: one readable line per event on a terminal, JSON otherwise; json: always JSON (for log shippers)', parse: oneOf('auto', 'json', 'pretty') }),
  MCP_API_URL: v({ name: 'MCP_API_URL', default: 'http://127.0.0.1:8000', accepts: 'an http(s) URL', description: 'REST API the MCP server calls', parse: url }),
  MCP_API_KEY: v({ name: 'MCP_API_KEY', default: undefined, accepts: 'an API key', description: 'Key the MCP server sends to the REST API', parse: text, secret: true }),
  PREVIEW_TTL_SECONDS: v({ name: 'PREVIEW_TTL_SECONDS', default: '300', accepts: 'an integer 10-86400', description: 'How long a previewId stays valid for placing', parse: int(10, 86400) }),
  SIM_SEED: v({ name: 'SIM_SEED', default: '42', accepts: 'an integer 0-2147483647', description: 'Seed of the simulated market: same seed, same prices', parse: int(0, 2147483647) }),
  SIM_SESSION: v({ name: 'SIM_SESSION', default: 'real', accepts: 'real | always-open', description: 'real: US market hours; always-open: every market open (tests, demos)', parse: oneOf('real', 'always-open') }),
  SIM_STARTING_CASH: v({ name: 'SIM_STARTING_CASH', default: '1000000', accepts: 'a positive number', description: 'Cash of a fresh simulated account (USD)', parse: positiveNumber }),
  SIM_ACCOUNT_ID: v({ name: 'SIM_ACCOUNT_ID', default: 'DU1234567', accepts: 'an account id', description: 'Account id of the simulated account (paper ids start with D)', parse: text }),
  MAX_ORDER_QUANTITY: v({ name: 'MAX_ORDER_QUANTITY', default: '10000', accepts: 'a positive number', description: 'Risk: max quantity of one order', parse: positiveNumber }),
  MAX_ORDER_NOTIONAL: v({ name: 'MAX_ORDER_NOTIONAL', default: '250000', accepts: 'a positive number', description: 'Risk: max notional of one order (account currency)', parse: positiveNumber }),
  MAX_POSITION_NOTIONAL: v({ name: 'MAX_POSITION_NOTIONAL', default: '500000', accepts: 'a positive number', description: 'Risk: max notional of the position in one instrument after the order', parse: positiveNumber }),
  MAX_GROSS_EXPOSURE: v({ name: 'MAX_GROSS_EXPOSURE', default: '2000000', accepts: 'a positive number', description: 'Risk: max gross position value after the order', parse: positiveNumber }),
  MAX_DAILY_LOSS: v({ name: 'MAX_DAILY_LOSS', default: '50000', accepts: 'a positive number', description: 'Risk: max loss today (realised + unrealised); hitting it engages the kill switch', parse: positiveNumber }),
  DAILY_LOSS_RESET_TIME: v({ name: 'DAILY_LOSS_RESET_TIME', default: '17:00', accepts: 'HH:MM (America/New_York)', description: 'When the daily loss and order counts reset', parse: timeOfDay }),
  MAX_ORDERS_PER_MINUTE: v({ name: 'MAX_ORDERS_PER_MINUTE', default: '60', accepts: 'an integer 1-1000000', description: 'Risk: max orders placed per minute', parse: int(1, 1_000_000) }),
  MAX_ORDERS_PER_DAY: v({ name: 'MAX_ORDERS_PER_DAY', default: '2000', accepts: 'an integer 1-100000000', description: 'Risk: max orders placed per day', parse: int(1, 100_000_000) }),
  ALLOWED_SYMBOLS: v({ name: 'ALLOWED_SYMBOLS', default: undefined, accepts: 'comma-separated symbols', description: 'Risk: if set, only these symbols may be traded', parse: list }),
  BLOCKED_SYMBOLS: v({ name: 'BLOCKED_SYMBOLS', default: undefined, accepts: 'comma-separated symbols', description: 'Risk: these symbols may not be traded', parse: list }),
  ALLOWED_SECURITY_TYPES: v({ name: 'ALLOWED_SECURITY_TYPES', default: 'STK,ETF,FUT,OPT,IND,CASH,CFD,BOND,FUND,CRYPTO', accepts: 'comma-separated security types', description: 'Risk: security types that may be traded', parse: securityTypes }),
  PRICE_BAND_PERCENT: v({ name: 'PRICE_BAND_PERCENT', default: '10', accepts: 'a positive number', description: 'Risk: limit/stop prices at most this % away from the last price', parse: positiveNumber }),
  DUPLICATE_ORDER_WINDOW_SECONDS: v({ name: 'DUPLICATE_ORDER_WINDOW_SECONDS', default: '5', accepts: 'an integer 0-86400 (0 = off)', description: 'Risk: refuse the same order spec again within this many seconds', parse: int(0, 86400) }),
  REDUCE_ONLY: v({ name: 'REDUCE_ONLY', default: 'false', accepts: 'true | false | 1 | 0', description: 'Risk: only orders that shrink a position pass', parse: bool }),
  CIRCUIT_BREAKER_REJECTIONS: v({ name: 'CIRCUIT_BREAKER_REJECTIONS', default: '5', accepts: 'an integer 0-1000 (0 = off)', description: 'Engage the kill switch after this many consecutive rejections', parse: int(0, 1000) }),
  RISK_FILE: v({ name: 'RISK_FILE', default: undefined, accepts: 'a JSON file path', description: 'Per-symbol risk overrides (see README)', parse: text }),
} as const;

type VarName = keyof typeof VARIABLES;
type ValueOf<N extends VarName> = (typeof VARIABLES)[N] extends Variable<infer T> ? T : never;

export type ApiScope = 'read' | 'trade' | 'admin';
export interface ApiKey {
  /** A display name for logs and audit rows: never the key itself. */
  name: string;
  key: string;
  scopes: ReadonlySet<ApiScope>;
}

export interface RiskLimits {
  maxOrderQuantity: number;
  maxOrderNotional: number;
  maxPositionNotional: number;
  maxGrossExposure: number;
  maxDailyLoss: number;
  dailyLossResetTime: string;
  maxOrdersPerMinute: number;
  maxOrdersPerDay: number;
  allowedSymbols: string[] | null;
  blockedSymbols: string[];
  allowedSecurityTypes: SecurityType[];
  priceBandPercent: number;
  duplicateOrderWindowSeconds: number;
  reduceOnly: boolean;
  circuitBreakerRejections: number;
  riskFile: string | null;
}

export interface Config {
  broker: BrokerKind;
  ibkr: { host: string; port: number; clientId: number };
  tradingMode: TradingMode;
  ordersEnabled: boolean;
  liveOverrideFile: string | null;
  api: { host: string; port: number; keys: ApiKey[] | null; rateLimitPerMinute: number };
  dataDir: string;
  logLevel: string;
  logFormat: 'auto' | 'json' | 'pretty';
  mcp: { apiUrl: string; apiKey: string | null };
  previewTtlSeconds: number;
  sim: { seed: number; session: 'real' | 'always-open'; startingCash: number; accountId: string };
  risk: RiskLimits;
}

export type Env = Record<string, string | undefined>;

const SCOPES: readonly ApiScope[] = ['read', 'trade', 'admin'];

/** Parses API_KEYS: "KEY" or "KEY:read+trade", comma-separated. */
export function parseApiKeys(raw: string): ApiKey[] | undefined {
  const keys: ApiKey[] = [];
  for (const [i, part] of raw.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const [key, scopeText] = part.split(':', 2) as [string, string | undefined];
    if (key.length < 8 || /\s/.test(key)) return undefined;
    const scopes = new Set<ApiScope>();
    for (const s of (scopeText ?? 'read').split('+').map((x) => x.trim().toLowerCase())) {
      const scope = SCOPES.find((x) => x === s);
      if (!scope) return undefined;
      scopes.add(scope);
    }
    keys.push({ name: `key${i + 1}:${key.slice(0, 4)}…`, key, scopes });
  }
  return keys.length > 0 ? keys : undefined;
}

function read<N extends VarName>(env: Env, name: N): ValueOf<N> | undefined {
  const variable = VARIABLES[name] as Variable<ValueOf<N>>;
  const given = env[name];
  const raw = given !== undefined && given.trim() !== '' ? given : variable.default;
  if (raw === undefined) return undefined;
  const value = variable.parse(raw);
  if (value === undefined) {
    const shown = variable.secret ? '(hidden)' : JSON.stringify(raw);
    throw new ConfigError(name, `Invalid configuration: ${name}=${shown} is not accepted; ${name} accepts ${variable.accepts}`);
  }
  return value;
}

function required<N extends VarName>(env: Env, name: N): ValueOf<N> {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, `Invalid configuration: ${name} is required; it accepts ${VARIABLES[name].accepts}`);
  return value;
}

/** Reads `.env` from `dir` (if present) under the process environment: real environment variables win. */
export function loadEnv(processEnv: Env = process.env, dir: string = process.cwd()): Env {
  const file = resolve(dir, '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...processEnv };
}

/** Builds a Config from an environment; throws ConfigError naming the first bad variable. */
export function parseConfig(env: Env): Config {
  const tradingMode = required(env, 'TRADING_MODE');
  const apiKeysRaw = read(env, 'API_KEYS');
  const keys = apiKeysRaw === undefined ? null : parseApiKeys(apiKeysRaw);
  if (keys === undefined) {
    throw new ConfigError('API_KEYS', `Invalid configuration: API_KEYS=(hidden) is not accepted; API_KEYS accepts ${VARIABLES.API_KEYS.accepts} (keys at least 8 characters)`);
  }
  return {
    broker: required(env, 'BROKER'),
    ibkr: {
      host: required(env, 'IBKR_HOST'),
      port: read(env, 'IBKR_PORT') ?? (tradingMode === 'live' ? 4001 : 4002),
      clientId: required(env, 'IBKR_CLIENT_ID'),
    },
    tradingMode,
    ordersEnabled: required(env, 'ORDERS_ENABLED'),
    liveOverrideFile: read(env, 'LIVE_TRADING_OVERRIDE_FILE') ?? null,
    api: { host: required(env, 'API_HOST'), port: required(env, 'API_PORT'), keys, rateLimitPerMinute: required(env, 'API_RATE_LIMIT_PER_MINUTE') },
    dataDir: resolve(required(env, 'DATA_DIR')),
    logLevel: required(env, 'LOG_LEVEL'),
    logFormat: required(env, 'LOG_FORMAT') as Config['logFormat'],
    mcp: { apiUrl: required(env, 'MCP_API_URL'), apiKey: read(env, 'MCP_API_KEY') ?? null },
    previewTtlSeconds: required(env, 'PREVIEW_TTL_SECONDS'),
    sim: {
      seed: required(env, 'SIM_SEED'),
      session: required(env, 'SIM_SESSION') as 'real' | 'always-open',
      startingCash: required(env, 'SIM_STARTING_CASH'),
      accountId: required(env, 'SIM_ACCOUNT_ID'),
    },
    risk: {
      maxOrderQuantity: required(env, 'MAX_ORDER_QUANTITY'),
      maxOrderNotional: required(env, 'MAX_ORDER_NOTIONAL'),
      maxPositionNotional: required(env, 'MAX_POSITION_NOTIONAL'),
      maxGrossExposure: required(env, 'MAX_GROSS_EXPOSURE'),
      maxDailyLoss: required(env, 'MAX_DAILY_LOSS'),
      dailyLossResetTime: required(env, 'DAILY_LOSS_RESET_TIME'),
      maxOrdersPerMinute: required(env, 'MAX_ORDERS_PER_MINUTE'),
      maxOrdersPerDay: required(env, 'MAX_ORDERS_PER_DAY'),
      allowedSymbols: read(env, 'ALLOWED_SYMBOLS') ?? null,
      blockedSymbols: read(env, 'BLOCKED_SYMBOLS') ?? [],
      allowedSecurityTypes: required(env, 'ALLOWED_SECURITY_TYPES'),
      priceBandPercent: required(env, 'PRICE_BAND_PERCENT'),
      duplicateOrderWindowSeconds: required(env, 'DUPLICATE_ORDER_WINDOW_SECONDS'),
      reduceOnly: required(env, 'REDUCE_ONLY'),
      circuitBreakerRejections: required(env, 'CIRCUIT_BREAKER_REJECTIONS'),
      riskFile: read(env, 'RISK_FILE') ?? null,
    },
  };
}

/** The text of .env.example: every variable, its default and what it accepts. */
export function envExample(): string {
  const lines = ['# ibkr-gateway configuration. Copy to .env and edit; real environment variables win over .env.', ''];
  for (const variable of Object.values(VARIABLES) as Variable<unknown>[]) {
    lines.push(`# ${variable.description}. Accepts: ${variable.accepts}.`);
    lines.push(variable.default === undefined ? `# ${variable.name}=` : `${variable.name}=${variable.default}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The configuration as it may be written to the audit log: key names and scopes, never key values. */
export function publicConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    api: { ...config.api, keys: config.api.keys === null ? null : config.api.keys.map((k) => ({ name: k.name, scopes: [...k.scopes] })) },
    mcp: { apiUrl: config.mcp.apiUrl, apiKeySet: config.mcp.apiKey !== null },
  };
}
