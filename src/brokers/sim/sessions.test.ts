import { describe, expect, it } from 'vitest';
import type { Schedule } from './sessions.js';
import { canExecute, dayOrderExpiry, etToUtc, lastTradingInstant, nextClose, nextOpen, nyOffsetMinutes, phaseAt, toEt } from './sessions.js';

const equity: Schedule = { kind: 'us-equity', rthOpen: 570, rthClose: 960 };
const globex: Schedule = { kind: 'globex', rthOpen: 570, rthClose: 960 };
const fx: Schedule = { kind: 'idealpro', rthOpen: 570, rthClose: 960 };
const at = (iso: string): number => Date.parse(iso);

describe('New York time', () => {
  it('follows US daylight saving (second Sunday of March to first Sunday of November)', () => {
    expect(nyOffsetMinutes(at('2026-01-05T15:00:00Z'))).toBe(-300);
    expect(nyOffsetMinutes(at('2026-07-01T15:00:00Z'))).toBe(-240);
    expect(nyOffsetMinutes(at('2026-03-08T06:59:59Z'))).toBe(-300);
    expect(nyOffsetMinutes(at('2026-03-08T07:00:00Z'))).toBe(-240);
    expect(nyOffsetMinutes(at('2026-11-01T05:59:59Z'))).toBe(-240);
    expect(nyOffsetMinutes(at('2026-11-01T06:00:00Z'))).toBe(-300);
  });

  it('converts both ways', () => {
    const et = toEt(at('2026-07-01T13:30:00Z'));
    expect(et.minute).toBe(570);
    expect(et.weekday).toBe(3);
    expect(new Date(etToUtc(et.day, 570)).toISOString()).toBe('2026-07-01T13:30:00.000Z');
    expect(new Date(etToUtc(toEt(at('2026-01-05T12:00:00Z')).day, 960)).toISOString()).toBe('2026-01-05T21:00:00.000Z');
  });
});

describe('US equity sessions (real)', () => {
  it('has pre-market, regular and after-hours phases on weekdays, closed otherwise', () => {
    expect(phaseAt(equity, 'real', at('2026-01-05T08:59:00Z'))).toBe('closed'); // 03:59 ET
    expect(phaseAt(equity, 'real', at('2026-01-05T09:00:00Z'))).toBe('extended'); // 04:00 ET
    expect(phaseAt(equity, 'real', at('2026-01-05T14:30:00Z'))).toBe('regular'); // 09:30 ET
    expect(phaseAt(equity, 'real', at('2026-01-05T21:00:00Z'))).toBe('extended'); // 16:00 ET
    expect(phaseAt(equity, 'real', at('2026-01-06T01:00:00Z'))).toBe('closed'); // 20:00 ET
    expect(phaseAt(equity, 'real', at('2026-01-10T15:00:00Z'))).toBe('closed'); // Saturday
  });

  it('lets orders execute outside RTH only when they allow it', () => {
    const pre = at('2026-01-05T13:00:00Z');
    expect(canExecute(equity, 'real', pre, false)).toBe(false);
    expect(canExecute(equity, 'real', pre, true)).toBe(true);
    expect(canExecute(equity, 'always-open', at('2026-01-10T03:00:00Z'), false)).toBe(true);
  });

  it('expires DAY orders at the close (20:00 ET when outside RTH is allowed), the next session when placed after it', () => {
    expect(new Date(dayOrderExpiry(equity, 'real', at('2026-01-05T15:00:00Z'), false)).toISOString()).toBe('2026-01-05T21:00:00.000Z');
    expect(new Date(dayOrderExpiry(equity, 'real', at('2026-01-05T15:00:00Z'), true)).toISOString()).toBe('2026-01-06T01:00:00.000Z');
    expect(new Date(dayOrderExpiry(equity, 'real', at('2026-01-09T22:00:00Z'), false)).toISOString()).toBe('2026-01-12T21:00:00.000Z'); // Friday evening -> Monday
    expect(new Date(dayOrderExpiry(equity, 'always-open', at('2026-01-10T22:00:00Z'), false)).toISOString()).toBe('2026-01-11T21:00:00.000Z');
  });

  it('finds the next open and close', () => {
    expect(new Date(nextOpen(equity, 'real', at('2026-01-09T15:00:00Z'))).toISOString()).toBe('2026-01-12T14:30:00.000Z');
    expect(new Date(nextClose(equity, 'real', at('2026-01-09T15:00:00Z'))).toISOString()).toBe('2026-01-09T21:00:00.000Z');
  });

  it('freezes prices at the last traded instant while closed', () => {
    expect(new Date(lastTradingInstant(equity, 'real', at('2026-01-10T15:00:00Z'))).toISOString()).toBe('2026-01-10T00:59:59.000Z');
    expect(lastTradingInstant(equity, 'real', at('2026-01-05T15:00:00Z'))).toBe(at('2026-01-05T15:00:00Z'));
  });
});

describe('futures and FX sessions', () => {
  it('Globex opens Sunday 18:00 ET, halts 17:00-18:00 ET, closes Friday 17:00 ET', () => {
    expect(phaseAt(globex, 'real', at('2026-01-04T22:59:00Z'))).toBe('closed'); // Sun 17:59 ET
    expect(phaseAt(globex, 'real', at('2026-01-04T23:00:00Z'))).toBe('extended'); // Sun 18:00 ET
    expect(phaseAt(globex, 'real', at('2026-01-05T15:00:00Z'))).toBe('regular');
    expect(phaseAt(globex, 'real', at('2026-01-05T22:30:00Z'))).toBe('closed'); // Mon 17:30 ET halt
    expect(phaseAt(globex, 'real', at('2026-01-09T22:30:00Z'))).toBe('closed'); // Fri after 17:00 ET
    expect(canExecute(globex, 'real', at('2026-01-05T03:00:00Z'), false)).toBe(true); // overnight, no outsideRth needed
  });

  it('IDEALPRO trades from Sunday 17:15 ET', () => {
    expect(phaseAt(fx, 'real', at('2026-01-04T22:14:00Z'))).toBe('closed');
    expect(phaseAt(fx, 'real', at('2026-01-04T22:15:00Z'))).not.toBe('closed');
  });
});
