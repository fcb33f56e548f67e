/**
 * Contract details' tradingHours / liquidHours follow the exchange calendar the
 * simulator trades by: a holiday is listed as CLOSED and an early close ends
 * the day's sessions early, as IBKR lists them, so a client that plans around
 * contract details agrees with what the simulator then does.
 */
import { describe, expect, it } from 'vitest';
import type { Contract } from '../core/models.js';
import { tradingHours } from './trading-hours.js';

const of = (securityType: Contract['securityType']): Contract => ({ securityType }) as Contract;
/** The sessions of trading day `ymd`: the one that ends on it (a futures session opens the evening before), or its CLOSED. */
const day = (list: string, ymd: string): string[] => list.split(';').filter((s) => s === `${ymd}:CLOSED` || s.includes(`-${ymd}:`));

describe('trading hours over Thanksgiving 2026 (NYSE closed Thursday 26 November, closes at 13:00 ET on Friday)', () => {
  const monday = Date.parse('2026-11-23T15:00:00Z');

  it('a US stock is CLOSED on Thanksgiving, and on Friday trades until 17:00 ET with its regular session ending at 13:00', () => {
    const h = tradingHours(of('STK'), monday);
    expect(day(h.tradingHours, '20261125')).toEqual(['20261125:0400-20261125:2000']);
    expect(day(h.tradingHours, '20261126')).toEqual(['20261126:CLOSED']);
    expect(day(h.liquidHours, '20261126')).toEqual(['20261126:CLOSED']);
    expect(day(h.tradingHours, '20261127')).toEqual(['20261127:0400-20261127:1700']);
    expect(day(h.liquidHours, '20261127')).toEqual(['20261127:0930-20261127:1300']);
  });

  it('an option is CLOSED on Thanksgiving and closes at 13:00 ET on Friday', () => {
    const h = tradingHours(of('OPT'), monday);
    expect(day(h.tradingHours, '20261126')).toEqual(['20261126:CLOSED']);
    expect(day(h.tradingHours, '20261127')).toEqual(['20261127:0930-20261127:1300']);
  });

  it('an equity-index future halts early on both days rather than closing (CME)', () => {
    const h = tradingHours(of('FUT'), monday);
    expect(day(h.tradingHours, '20261126')).toEqual(['20261125:1800-20261126:1300']);
    expect(day(h.tradingHours, '20261127')).toEqual(['20261126:1800-20261127:1315']);
  });
});

describe('IDEALPRO over the year end', () => {
  it('FX is CLOSED on Christmas Day and New Year\'s Day and trades the weekdays around them', () => {
    const h = tradingHours(of('CASH'), Date.parse('2026-12-28T15:00:00Z'));
    expect(h.tradingHours.split(';')).toEqual([
      '20261227:1715-20261228:1700',
      '20261228:1715-20261229:1700',
      '20261229:1715-20261230:1700',
      '20261230:1715-20261231:1700',
      '20270101:CLOSED',
      '20270102:CLOSED',
      '20270103:CLOSED',
    ]);
    expect(day(tradingHours(of('CASH'), Date.parse('2026-12-22T15:00:00Z')).tradingHours, '20261225')).toEqual(['20261225:CLOSED']);
  });
});
