import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { envExample, loadEnv, parseApiKeys, parseConfig, publicConfig, VARIABLES, type ApiKey, type Config, type RiskLimits } from './config.js';
import { ConfigError } from './errors.js';

const configError = (env: Record<string, string>): ConfigError => {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('gives a safe default configuration: simulated broker, paper, orders disabled, loopback', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ broker: 'sim', tradingMode: 'paper', ordersEnabled: false, liveOverrideFile: null, api: { host: '127.0.0.1', port: 8000, keys: null } });
    expect(config.ibkr.port).toBe(4002);
  });

  it('defaults the IB Gateway port by mode: 4002 paper, 4001 live', () => {
    expect(parseConfig({ TRADING_MODE: 'live' }).ibkr.port).toBe(4001);
    expect(parseConfig({ TRADING_MODE: 'live', IBKR_PORT: '7497' }).ibkr.port).toBe(7497);
  });

  it.each([
    ['TRADING_MODE', 'papeer', 'Invalid configuration: TRADING_MODE="papeer" is not accepted; TRADING_MODE accepts paper | live'],
    ['ORDERS_ENABLED', 'maybe', 'Invalid configuration: ORDERS_ENABLED="maybe" is not accepted; ORDERS_ENABLED accepts true | false | 1 | 0'],
    ['API_PORT', '99999', 'Invalid configuration: API_PORT="99999" is not accepted; API_PORT accepts an integer 0-65535 (0 = any free port)'],
    ['API_PORT', '80.5', 'API_PORT="80.5" is not accepted'],
    ['API_PORT', '-1', 'API_PORT="-1" is not accepted'],
    ['BROKER', 'ib', 'BROKER="ib" is not accepted; BROKER accepts sim | tws'],
    ['SIM_STARTING_CASH', 'NaN', 'SIM_STARTING_CASH="NaN" is not accepted'],
    ['SIM_STARTING_CASH', '-5', 'SIM_STARTING_CASH="-5" is not accepted'],
    ['MAX_ORDER_QUANTITY', 'Infinity', 'MAX_ORDER_QUANTITY="Infinity" is not accepted'],
    ['IBKR_CLIENT_ID', '1e3', 'IBKR_CLIENT_ID="1e3" is not accepted'],
    ['MCP_TIMEOUT_MS', '0', 'Invalid configuration: MCP_TIMEOUT_MS="0" is not accepted; MCP_TIMEOUT_MS accepts an integer 1-3600000'],
    ['SIM_SESSION', 'sometimes', 'SIM_SESSION="sometimes" is not accepted; SIM_SESSION accepts real | always-open'],
  ])('refuses %s=%s in one line naming the variable, the value and what it accepts', (name, value, message) => {
    const err = configError({ [name]: value });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.variable).toBe(name);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('\n');
  });

  it('accepts booleans as true/false/1/0 in any case', () => {
    expect(parseConfig({ ORDERS_ENABLED: 'TRUE' }).ordersEnabled).toBe(true);
    expect(parseConfig({ ORDERS_ENABLED: '1' }).ordersEnabled).toBe(true);
    expect(parseConfig({ ORDERS_ENABLED: '0' }).ordersEnabled).toBe(false);
  });

  it('never shows an API key in its error message', () => {
    const err = configError({ API_KEYS: 'short' });
    expect(err.variable).toBe('API_KEYS');
    expect(err.message).not.toContain('short');
  });

  it('reads MCP_TIMEOUT_MS like every other variable: default 10000 ms', () => {
    expect(parseConfig({}).mcp.timeoutMs).toBe(10_000);
    expect(parseConfig({ MCP_TIMEOUT_MS: '2500' }).mcp.timeoutMs).toBe(2500);
  });

  it('leaves unset symbol lists open: no allow-list (null), nothing blocked ([])', () => {
    expect(parseConfig({}).risk).toMatchObject({ allowedSymbols: null, blockedSymbols: [] });
    expect(parseConfig({ ALLOWED_SYMBOLS: 'aapl, msft', BLOCKED_SYMBOLS: 'gme' }).risk).toMatchObject({ allowedSymbols: ['AAPL', 'MSFT'], blockedSymbols: ['GME'] });
  });

  it('derives the Config type from the table: a variable without a default is nullable unless it computes one', () => {
    expectTypeOf<Config['ibkr']['port']>().toEqualTypeOf<number>();
    expectTypeOf<Config['api']['keys']>().toEqualTypeOf<ApiKey[] | null>();
    expectTypeOf<Config['mcp']>().toEqualTypeOf<{ apiUrl: string; apiKey: string | null; timeoutMs: number }>();
    expectTypeOf<Config['sim']['session']>().toEqualTypeOf<'real' | 'always-open'>();
    expectTypeOf<RiskLimits['allowedSymbols']>().toEqualTypeOf<string[] | null>();
    expectTypeOf<RiskLimits['blockedSymbols']>().toEqualTypeOf<string[]>();
    const config = parseConfig({ API_KEYS: 'readerkey123' });
    expect(config.api.keys?.map((k) => k.key)).toEqual(['readerkey123']);
    expect(config.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('names every variable once', () => {
    const names = VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ TRADING_MODE: '' }).tradingMode).toBe('paper');
  });
});

describe('API_KEYS', () => {
  it('parses KEY and KEY:SCOPES; no scope means read', () => {
    const keys = parseApiKeys('readerkey123, tradekey1234:read+trade ,adminkey1234:admin') ?? [];
    expect(keys.map((k) => [...k.scopes])).toEqual([['read'], ['read', 'trade'], ['admin']]);
    expect(keys.every((k) => !k.name.includes(k.key))).toBe(true);
  });

  it('names a key key1, key2, ... by position, or NAME=KEY, and a name carries no part of its key', () => {
    const keys = parseApiKeys('R3adQx7TzW, alice=Tr4dZz91Pq:read+trade, ci-bot.2=Adm1nWq82L:admin, Pa+b64/x9UV==:read') ?? [];
    expect(keys.map((k) => [k.name, k.key, [...k.scopes]])).toEqual([
      ['key1', 'R3adQx7TzW', ['read']],
      ['alice', 'Tr4dZz91Pq', ['read', 'trade']],
      ['ci-bot.2', 'Adm1nWq82L', ['admin']],
      ['key4', 'Pa+b64/x9UV==', ['read']],
    ]);
    for (const k of keys) for (let i = 0; i + 3 <= k.key.length; i++) expect(k.name).not.toContain(k.key.slice(i, i + 3));
  });

  it('refuses two keys with one name', () => {
    expect(parseApiKeys('bot=firstkey1234,bot=secondkey123')).toBeUndefined();
  });

  it.each(['abc', 'goodkey123:root', 'goodkey123:read+', ','])('rejects %j', (raw) => {
    expect(parseApiKeys(raw)).toBeUndefined();
  });

  it('reads the approve scope and the agent marker (a marker, not a permission)', () => {
    const keys = parseApiKeys('bot=botkey12345:read+trade+agent, alice=alicekey1234:approve, solo=solokey12345:agent') ?? [];
    expect(keys.map((k) => ({ name: k.name, scopes: [...k.scopes], agent: k.agent ?? false }))).toEqual([
      { name: 'bot', scopes: ['read', 'trade'], agent: true },
      { name: 'alice', scopes: ['approve'], agent: false },
      { name: 'solo', scopes: ['read'], agent: true },
    ]);
  });

  it('holds agent orders for approval by default in live mode only, and keeps the webhook secret out of the audit log', () => {
    expect(parseConfig({}).approvals.required).toBe('none');
    expect(parseConfig({ TRADING_MODE: 'live' }).approvals.required).toBe('agent');
    expect(parseConfig({ TRADING_MODE: 'live', APPROVAL_REQUIRED: 'none' }).approvals.required).toBe('none');
    expect(() => parseConfig({ APPROVAL_REQUIRED: 'some' })).toThrow(/APPROVAL_REQUIRED/);
    const config = parseConfig({ APPROVAL_WEBHOOK_URL: 'http://127.0.0.1:9/hook', APPROVAL_WEBHOOK_SECRET: 'webhooksecret-123456' });
    expect(JSON.stringify(publicConfig(config))).not.toContain('webhooksecret-123456');
    expect(publicConfig(config)).toMatchObject({ approvals: { webhookUrl: 'http://127.0.0.1:9/hook', webhookSecretSet: true } });
  });

  it('keeps key values out of the configuration written to the audit log', () => {
    const config = parseConfig({ API_KEYS: 'secretkey999:admin', MCP_API_KEY: 'mcpsecret123' });
    const text = JSON.stringify(publicConfig(config));
    expect(text).not.toContain('secretkey999');
    expect(text).not.toContain('mcpsecret123');
    expect(text).toContain('admin');
  });
});

describe('DATABASE_URL (the PostgreSQL store)', () => {
  it('is unset by default: the SQLite audit.db in DATA_DIR', () => {
    expect(parseConfig({}).databaseUrl).toBeNull();
  });

  it('accepts postgres:// and postgresql:// URLs and nothing else', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://gw:pw@db.internal:5432/desk' }).databaseUrl).toBe('postgres://gw:pw@db.internal:5432/desk');
    expect(parseConfig({ DATABASE_URL: 'postgresql://db/desk' }).databaseUrl).toBe('postgresql://db/desk');
    expect(configError({ DATABASE_URL: 'http://db/desk' }).message).toMatch(/DATABASE_URL/);
  });

  it('goes into the audited configuration without its password', () => {
    const text = JSON.stringify(publicConfig(parseConfig({ DATABASE_URL: 'postgres://gw:s3cretpw@db.internal:5432/desk' })));
    expect(text).not.toContain('s3cretpw');
    expect(text).toContain('postgres://gw:***@db.internal:5432/desk');
  });
});

describe('.env', () => {
  it('is read when present, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibkr-env-'));
    writeFileSync(join(dir, '.env'), 'TRADING_MODE=live\nAPI_PORT=9000\n');
    const env = loadEnv({ API_PORT: '9100' }, dir);
    expect(parseConfig(env)).toMatchObject({ tradingMode: 'live', api: { port: 9100 } });
  });

  it('.env.example lists every variable with its default', () => {
    const example = envExample();
    for (const variable of Object.values(VARIABLES)) {
      expect(example).toMatch(new RegExp(`^#? ?${variable.name}=${variable.default ?? ''}$`, 'm'));
    }
  });
});

describe('.env.example on disk', () => {
  it('is exactly what envExample() generates, so it never drifts from the code', async () => {
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')).toBe(envExample());
  });
});
