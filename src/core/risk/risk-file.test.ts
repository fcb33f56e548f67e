import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createRiskEngine } from './engine.js';
import { aapl, baseLimits, byName, input, spec } from '../../testing/risk-fixtures.js';
import { loadRiskFile } from './risk-file.js';

const dir = mkdtempSync(join(tmpdir(), 'risk-file-'));
const write = (name: string, body: string): string => {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
};

const expectConfigError = (path: string, problem: RegExp): void => {
  let caught: unknown;
  try {
    loadRiskFile(path);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.variable).toBe('RISK_FILE');
  expect(err.message).toContain(path);
  expect(err.message).toMatch(problem);
};

describe('loadRiskFile', () => {
  it('reads per-symbol overrides, upper-casing symbols', () => {
    const path = write('ok.json', JSON.stringify({ symbols: { spy: { maxOrderQuantity: 50000 }, GME: { blocked: true } } }));
    expect(loadRiskFile(path).symbols).toEqual({ SPY: { maxOrderQuantity: 50000 }, GME: { blocked: true } });
  });

  it('rejects a missing file, bad JSON, unknown keys, bad values and repeated symbols', () => {
    expectConfigError(join(dir, 'missing.json'), /does not exist/);
    expectConfigError(write('bad.json', '{ "symbols": '), /not valid JSON/);
    expectConfigError(write('typo.json', JSON.stringify({ symbols: { AAPL: { maxOrderQty: 5 } } })), /symbols\.AAPL/);
    expectConfigError(write('top.json', JSON.stringify({ symbol: {} })), /symbol/);
    expectConfigError(write('neg.json', JSON.stringify({ symbols: { AAPL: { maxOrderNotional: -1 } } })), /symbols\.AAPL\.maxOrderNotional/);
    expectConfigError(write('dup.json', JSON.stringify({ symbols: { spy: {}, SPY: {} } })), /SPY appears more than once/);
    expectConfigError(write('arr.json', '[]'), /\(root\)/);
  });
});

describe('per-symbol overrides', () => {
  const overrides = { symbols: { AAPL: { maxOrderQuantity: 50, priceBandPercent: 1, maxOrderNotional: 1000 }, TSLA: { blocked: true } } };

  it('limitsFor applies the file over the environment limits, case-insensitively', () => {
    const engine = createRiskEngine(baseLimits({ blockedSymbols: ['XYZ'] }), { overrides });
    expect(engine.limitsFor('aapl')).toMatchObject({ maxOrderQuantity: 50, priceBandPercent: 1, maxOrderNotional: 1000, maxPositionNotional: 600000 });
    expect(engine.limitsFor('MSFT').maxOrderQuantity).toBe(100000);
    expect(engine.limitsFor('TSLA').blockedSymbols).toEqual(['XYZ', 'TSLA']);
  });

  it('evaluate uses the symbol\'s limits at, below and above the overridden bound', () => {
    const engine = createRiskEngine(baseLimits(), { overrides });
    const qty = (quantity: number) => byName(engine.evaluate(input({ spec: spec({ quantity, limitPrice: 10 }), referencePrice: 10, lastPrice: 10 })), 'maxOrderQuantity');
    expect(qty(49).passed).toBe(true);
    expect(qty(50)).toMatchObject({ passed: true, limit: 50 });
    expect(qty(51).passed).toBe(false);
    expect(byName(engine.evaluate(input({ spec: spec({ limitPrice: 101.01 }) })), 'priceBand').passed).toBe(false);
  });

  it('blocks a symbol the file blocks, and lifts an environment block it clears', () => {
    const tsla = { ...aapl, conId: 76792991, symbol: 'TSLA' };
    const blocked = createRiskEngine(baseLimits(), { overrides }).evaluate(input({ spec: spec({ symbol: 'TSLA' }), contract: tsla }));
    expect(byName(blocked, 'blockedSymbols').passed).toBe(false);
    const lifted = createRiskEngine(baseLimits({ blockedSymbols: ['AAPL'] }), { overrides: { symbols: { AAPL: { blocked: false } } } });
    expect(byName(lifted.evaluate(input()), 'blockedSymbols').passed).toBe(true);
  });

  it('loads RISK_FILE itself when no overrides are passed, and fails on a bad one', () => {
    const path = write('env.json', JSON.stringify({ symbols: { AAPL: { maxOrderQuantity: 7 } } }));
    expect(createRiskEngine(baseLimits({ riskFile: path })).limitsFor('AAPL').maxOrderQuantity).toBe(7);
    expect(() => createRiskEngine(baseLimits({ riskFile: join(dir, 'nope.json') }))).toThrow(ConfigError);
  });
});
