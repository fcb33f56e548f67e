/** Pure parts of the tws broker: the error table, status mapping, cache range arithmetic, pacing, time parsing. */
import { describe, expect, it } from 'vitest';
import { missingRanges, mergeRanges } from './bar-cache.js';
import { classify } from '../../ibkr/error-codes.js';
import { durationFor } from './historical.js';
import { HistoricalPacer } from './pacing.js';
import { RequestRegistry } from './requests.js';
import { ibTif, ibTypeToSpecFields, specToIbPrices } from '../../ibkr/order-map.js';
import { OrderSpec } from '../../core/models.js';
import { ibOrderToSpec, mapCompleted, mapStatus, parseTwsTime, specToIbOrder, twsUtc } from './wire.js';

describe('error table', () => {
  it.each([
    [200, 'CONTRACT_NOT_FOUND', 'fatal'],
    [162, 'HISTORICAL_DATA_ERROR', 'fatal'],
    [100, 'PACING_VIOLATION', 'fatal'],
    [201, 'ORDER_REJECTED', 'fatal'],
    [502, 'BROKER_UNAVAILABLE', 'fatal'],
    [504, 'BROKER_UNAVAILABLE', 'fatal'],
    [1100, 'BROKER_DEGRADED', 'warning'],
    [2104, 'BROKER_ERROR', 'info'],
    [2106, 'BROKER_ERROR', 'info'],
    [2158, 'BROKER_ERROR', 'info'],
  ] as const)('IBKR %i -> %s (%s)', (code, ours, severity) => {
    expect(classify(code)).toMatchObject({ code: ours, severity });
  });

  it('reads a 162 pacing violation as PACING_VIOLATION and 354/10089 as the delayed fallback', () => {
    expect(classify(162, 'Historical Market Data Service error message:Historical data request pacing violation').code).toBe('PACING_VIOLATION');
    expect(classify(354).action).toBe('delayedFallback');
    expect(classify(10089).action).toBe('delayedFallback');
    expect(classify(2999).severity).toBe('warning');
  });
});

describe('status mapping', () => {
  it('maps TWS statuses onto ours', () => {
    expect(mapStatus('PendingSubmit', 0, 1)).toBe('PENDING_SUBMIT');
    expect(mapStatus('PreSubmitted', 0, 1)).toBe('SUBMITTED');
    expect(mapStatus('Submitted', 0, 1)).toBe('ACCEPTED');
    expect(mapStatus('Submitted', 1, 1)).toBe('PARTIALLY_FILLED');
    expect(mapStatus('Filled', 2, 0)).toBe('FILLED');
    expect(mapStatus('Cancelled', 0, 1)).toBe('CANCELLED');
    expect(mapStatus('ApiCancelled', 0, 1)).toBe('CANCELLED');
    expect(mapStatus('Inactive', 0, 1)).toBe('REJECTED');
    expect(mapStatus('PendingCancel', 0, 1)).toBeNull();
  });

  it('maps completed orders onto their final status, telling expiries and rejections from cancels', () => {
    expect(mapCompleted('Filled', 'Filled Size: 3')).toBe('FILLED');
    expect(mapCompleted('Cancelled', 'Cancelled by Trader')).toBe('CANCELLED');
    expect(mapCompleted('ApiCancelled', '')).toBe('CANCELLED');
    expect(mapCompleted('Cancelled', 'Cancelled by System: order expired')).toBe('EXPIRED');
    expect(mapCompleted('Cancelled', 'Rejected: insufficient margin')).toBe('REJECTED');
    expect(mapCompleted('Inactive', '')).toBe('REJECTED');
    expect(mapCompleted('Submitted', '')).toBeNull();
  });
});

describe('order type mapping shared with the emulator', () => {
  const base = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, timeInForce: 'DAY' } as const;
  const specs = [
    { ...base, orderType: 'MKT' },
    { ...base, orderType: 'LMT', limitPrice: 10 },
    { ...base, orderType: 'STP', stopPrice: 9 },
    { ...base, orderType: 'STP_LMT', stopPrice: 9, limitPrice: 8.5 },
    { ...base, orderType: 'TRAIL', trailingAmount: 0.5, stopPrice: 9.5 },
    { ...base, orderType: 'TRAIL', trailingPercent: 2 },
    { ...base, orderType: 'TRAIL_LIMIT', trailingAmount: 0.5, limitPrice: 9 },
    { ...base, orderType: 'MOC' },
    { ...base, orderType: 'LOC', limitPrice: 10 },
  ].map((s) => OrderSpec.parse(s));

  it('reads back what it writes (spec -> IBKR type and prices -> spec fields)', () => {
    for (const spec of specs) {
      const p = specToIbPrices(spec);
      const fields = ibTypeToSpecFields(p.orderType, {
        lmtPrice: p.lmtPrice ?? undefined, auxPrice: p.auxPrice ?? undefined, trailingPercent: p.trailingPercent ?? undefined, trailStopPrice: p.trailStopPrice ?? undefined,
      });
      expect(OrderSpec.parse({ ...spec, ...fields })).toEqual(spec);
    }
    expect(ibTypeToSpecFields('REL', {})).toBeNull();
    expect(ibTif('GTD')).toBe('GTD');
    expect(ibTif('DTC')).toBeNull();
    expect(ibTif('GTC')).toBe('GTC');
  });

  it('the adapter writes and reads orders through it (OPG as a market order with time in force OPG)', () => {
    const contract = { conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 } as const;
    for (const spec of [...specs, OrderSpec.parse({ ...base, orderType: 'OPG' })]) {
      const order = specToIbOrder(spec, { account: 'DU1', orderRef: 'r' });
      const back = ibOrderToSpec(contract, { ...order, trailStopPrice: undefined });
      expect(back?.orderType).toBe(spec.orderType);
      expect(back?.limitPrice).toBe(spec.limitPrice);
      if (spec.orderType !== 'TRAIL' && spec.orderType !== 'TRAIL_LIMIT') expect(back?.stopPrice).toBe(spec.stopPrice);
    }
  });
});

describe('bar cache ranges', () => {
  it('finds only the uncovered parts', () => {
    expect(missingRanges(0, 100, [])).toEqual([[0, 100]]);
    expect(missingRanges(0, 100, [[0, 100]])).toEqual([]);
    expect(missingRanges(0, 100, [[20, 40], [60, 80]])).toEqual([[0, 20], [40, 60], [80, 100]]);
    expect(missingRanges(50, 100, [[0, 70]])).toEqual([[70, 100]]);
    expect(mergeRanges([[0, 10], [5, 20], [30, 40]])).toEqual([[0, 20], [30, 40]]);
  });

  it('asks IBKR for a duration covering the gap', () => {
    expect(durationFor(3_600_000, '1 min')).toBe('3600 S');
    expect(durationFor(2 * 86_400_000, '1 hour')).toBe('2 D');
    expect(durationFor(3_600_000, '1 day')).toBe('1 D');
  });
});

describe('historical pacer', () => {
  it('queues a sixth same-contract request for 2 s and an identical one for 15 s, instead of failing', async () => {
    let now = 0;
    // The pacer's sleep moves this fake clock, so waiting is observable without real time passing.
    const p = new HistoricalPacer(() => now, async (ms) => {
      now += ms;
    }, 0);
    const key = (i: number) => ({ identity: `q${i}`, contract: 'AAPL' });
    for (let i = 0; i < 5; i++) await p.acquire(key(i));
    expect(now).toBe(0);
    await p.acquire(key(5));
    expect(now).toBeGreaterThanOrEqual(2000);
    await p.acquire(key(0));
    expect(now).toBeGreaterThanOrEqual(15_000);
  });
});

describe('request registry', () => {
  it('times out, routes fatal errors, and fails everything on a drop', async () => {
    const r = new RequestRegistry();
    const a = r.start<number>('a', { timeoutMs: 20 });
    await expect(a.promise).rejects.toMatchObject({ code: 'BROKER_TIMEOUT' });
    const b = r.start<number>('b', { timeoutMs: 0 });
    expect(r.error(b.id, 200, 'No security definition')).toBe(true);
    await expect(b.promise).rejects.toMatchObject({ code: 'CONTRACT_NOT_FOUND' });
    const c = r.start<number>('c', { timeoutMs: 0 });
    const d = r.start<number>('d', { timeoutMs: 0, persistent: true });
    r.failAll(new (await import('../../core/errors.js')).BrokerConnectionError('gone'));
    await expect(c.promise).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    expect(d.settled).toBe(false);
    expect(r.error(12345, 201, 'x')).toBe(false);
  });
});

describe('TWS times', () => {
  it('parses the forms TWS sends and writes UTC requests', () => {
    expect(parseTwsTime('20260105 15:00:00 UTC')).toBe(Date.parse('2026-01-05T15:00:00Z'));
    expect(parseTwsTime('20260105 10:00:00 US/Eastern')).toBe(Date.parse('2026-01-05T15:00:00Z'));
    expect(parseTwsTime('20260105')).toBe(Date.parse('2026-01-05T00:00:00Z'));
    expect(parseTwsTime('1767625200')).toBe(1767625200000);
    expect(twsUtc(Date.parse('2026-01-05T15:00:00Z'))).toBe('20260105-15:00:00');
  });
});
