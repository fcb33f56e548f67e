import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../testing/client-harness.js';
import { parseConfig } from './config.js';
import { TradingDisabledError } from './errors.js';
import { assertNotBlocked, evaluateGates, isRegularFile, startupGateProblem } from './gates.js';

const OVERRIDE = '/etc/ibkr/allow-live';
const decide = (mode: 'paper' | 'live', enabled: boolean, overridePresent: boolean, accountId: string | null, extra: { killSwitch?: boolean; degraded?: boolean } = {}) =>
  evaluateGates({
    config: parseConfig({ TRADING_MODE: mode, ORDERS_ENABLED: String(enabled), LIVE_TRADING_OVERRIDE_FILE: OVERRIDE }),
    killSwitch: { engaged: extra.killSwitch ?? false, reason: extra.killSwitch ? 'test' : null },
    accountId,
    brokerState: extra.degraded ? 'degraded' : 'connected',
    fileExists: (p) => overridePresent && p === OVERRIDE,
  });

/** What DESIGN.md's gates say each combination must do. */
function expected(mode: 'paper' | 'live', enabled: boolean, override: boolean, account: 'paper' | 'live' | 'unknown'): [string, string | null] {
  if (!enabled) return ['SIMULATE', null];
  if (mode === 'live' && !override) return ['BLOCK', 'LIVE_OVERRIDE_MISSING'];
  if (account !== 'unknown' && account !== mode) return ['BLOCK', 'ACCOUNT_MODE_MISMATCH'];
  return ['TRANSMIT', null];
}

const ACCOUNTS = { paper: 'DU1234567', live: 'U7654321', unknown: null } as const;
const combinations = (['paper', 'live'] as const).flatMap((mode) =>
  [true, false].flatMap((enabled) => [true, false].flatMap((override) => (['paper', 'live', 'unknown'] as const).map((account) => ({ mode, enabled, override, account })))),
);

describe('safety gates: every combination of mode x enabled x override file x account kind', () => {
  it.each(combinations)('$mode, enabled=$enabled, override=$override, $account account', ({ mode, enabled, override, account }) => {
    const d = decide(mode, enabled, override, ACCOUNTS[account]);
    const [outcome, code] = expected(mode, enabled, override, account);
    expect([d.outcome, d.code]).toEqual([outcome, code]);
    expect(d.snapshot).toMatchObject({ tradingMode: mode, ordersEnabled: enabled, liveOverridePresent: override, accountKind: account });
    expect(d.reason.length).toBeGreaterThan(10);
    if (d.outcome === 'TRANSMIT' && mode === 'live') expect(d.warning).toMatch(/LIVE ORDER/);
  });

  it('has a case for all 24 combinations', () => expect(combinations).toHaveLength(24));
});

describe('kill switch and degraded connection', () => {
  it('the kill switch blocks before anything else, even with orders disabled', () => {
    expect(decide('paper', false, false, 'DU1', { killSwitch: true })).toMatchObject({ outcome: 'BLOCK', code: 'KILL_SWITCH_ENGAGED' });
    expect(decide('live', true, true, 'U1', { killSwitch: true })).toMatchObject({ outcome: 'BLOCK', code: 'KILL_SWITCH_ENGAGED' });
  });

  it('a degraded connection holds orders that would be transmitted', () => {
    expect(decide('paper', true, false, 'DU1', { degraded: true })).toMatchObject({ outcome: 'BLOCK', code: 'BROKER_DEGRADED' });
    expect(decide('paper', false, false, 'DU1', { degraded: true }).outcome).toBe('SIMULATE');
  });

  it('the override file is checked at every decision, not once', () => {
    const config = parseConfig({ TRADING_MODE: 'live', ORDERS_ENABLED: 'true', LIVE_TRADING_OVERRIDE_FILE: OVERRIDE });
    let present = true;
    const gate = () => evaluateGates({ config, killSwitch: { engaged: false, reason: null }, accountId: 'U1', brokerState: 'connected', fileExists: () => present }).outcome;
    expect(gate()).toBe('TRANSMIT');
    present = false;
    expect(gate()).toBe('BLOCK');
  });
});

describe('assertNotBlocked', () => {
  it('throws a TradingDisabledError carrying the gate code and the snapshot', () => {
    const d = decide('paper', true, false, 'U999');
    expect(() => assertNotBlocked(d)).toThrow(TradingDisabledError);
    try {
      assertNotBlocked(d);
    } catch (err) {
      expect(err).toMatchObject({ code: 'ACCOUNT_MODE_MISMATCH', status: 403 });
    }
  });

  it('lets SIMULATE and TRANSMIT through', () => {
    expect(() => assertNotBlocked(decide('paper', false, false, 'DU1'))).not.toThrow();
    expect(() => assertNotBlocked(decide('paper', true, false, 'DU1'))).not.toThrow();
  });
});

describe('start-up', () => {
  it('refuses live + orders enabled without the override file, naming the variable', () => {
    const config = parseConfig({ TRADING_MODE: 'live', ORDERS_ENABLED: 'true' });
    expect(startupGateProblem(config, () => false)).toMatchObject({ variable: 'LIVE_TRADING_OVERRIDE_FILE' });
  });

  it('starts in every other configuration', () => {
    expect(startupGateProblem(parseConfig({ TRADING_MODE: 'live' }), () => false)).toBeNull();
    expect(startupGateProblem(parseConfig({ ORDERS_ENABLED: 'true' }), () => false)).toBeNull();
    expect(startupGateProblem(parseConfig({ TRADING_MODE: 'live', ORDERS_ENABLED: 'true', LIVE_TRADING_OVERRIDE_FILE: OVERRIDE }), () => true)).toBeNull();
  });
});

describe('the override must be a regular file', () => {
  const withDir = (run: (dir: string) => Promise<void> | void) => async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibkr-override-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it(
    'a regular file, or a link to one, counts; a directory, a dangling link or nothing does not',
    withDir((dir) => {
      const file = join(dir, 'allow-live');
      writeFileSync(file, '');
      symlinkSync(file, join(dir, 'link-to-file'));
      mkdirSync(join(dir, 'a-directory'));
      symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
      symlinkSync(join(dir, 'a-directory'), join(dir, 'link-to-directory'));
      expect(isRegularFile(file)).toBe(true);
      expect(isRegularFile(join(dir, 'link-to-file'))).toBe(true);
      expect(isRegularFile(join(dir, 'a-directory'))).toBe(false);
      expect(isRegularFile(join(dir, 'dangling'))).toBe(false);
      expect(isRegularFile(join(dir, 'link-to-directory'))).toBe(false);
      expect(isRegularFile(join(dir, 'missing'))).toBe(false);
    }),
  );

  it(
    'start-up refuses live trading when the override path is a directory',
    withDir((dir) => {
      const config = parseConfig({ TRADING_MODE: 'live', ORDERS_ENABLED: 'true', LIVE_TRADING_OVERRIDE_FILE: dir });
      expect(startupGateProblem(config)?.message).toMatch(/not a regular file/);
    }),
  );

  it(
    'a directory put at the override path refuses the next live order; nothing is sent',
    withDir(async (dir) => {
      const override = join(dir, 'allow-live');
      writeFileSync(override, '');
      // A live account id, so that with the override present the order would really be transmitted.
      const gw = await startTestGateway({ TRADING_MODE: 'live', ORDERS_ENABLED: 'true', LIVE_TRADING_OVERRIDE_FILE: override, SIM_ACCOUNT_ID: 'U7654321' });
      try {
        const order = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' } as const;
        const sent = await gw.client.placeOrder(order);
        expect(sent.status).not.toBe('SIMULATED');

        rmSync(override);
        mkdirSync(override);
        const refused = await gw.client.placeOrder(order).catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(TradingDisabledError);
        expect(refused).toMatchObject({ code: 'LIVE_OVERRIDE_MISSING', details: { snapshot: { liveOverridePresent: false } } });
        const open = await gw.client.listOrders({ status: 'all' });
        expect(open).toHaveLength(1);
      } finally {
        await gw.cleanup();
      }
    }),
  );
});
