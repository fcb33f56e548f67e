import { describe, expect, it } from 'vitest';
import { dayOf, dayRule, earlyClosesOf, holidaysOf, isTradingDay, onOrBeforeTradingDay, tradingDaysBefore } from './exchange-calendar.js';

/** NYSE's published full-day closures (nyse.com, "Holidays & Trading Hours"). */
const NYSE_PUBLISHED: Record<number, string[]> = {
  2024: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'],
  2025: ['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'],
  2026: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'],
  2027: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'],
  // 1 January 2028 is a Saturday: NYSE does not close on Friday 31 December 2027.
  2028: ['2028-01-17', '2028-02-21', '2028-04-14', '2028-05-29', '2028-06-19', '2028-07-04', '2028-09-04', '2028-11-23', '2028-12-25'],
};

/** NYSE's published 1:00 p.m. early closes. */
const NYSE_EARLY: Record<number, string[]> = {
  2024: ['2024-07-03', '2024-11-29', '2024-12-24'],
  2025: ['2025-07-03', '2025-11-28', '2025-12-24'],
  2026: ['2026-11-27', '2026-12-24'],
  2027: ['2027-11-26'],
  2028: ['2028-07-03', '2028-11-24'],
};

describe('NYSE calendar', () => {
  for (const year of [2024, 2025, 2026, 2027, 2028]) {
    it(`closes on exactly NYSE's published holidays of ${year}`, () => {
      expect(holidaysOf('NYSE', year).map((h) => h.date)).toEqual(NYSE_PUBLISHED[year]);
    });
    it(`closes early at 13:00 ET on exactly NYSE's published days of ${year}`, () => {
      expect(earlyClosesOf('NYSE', year)).toEqual((NYSE_EARLY[year] ?? []).map((date) => ({ date, close: '13:00' })));
    });
  }

  it('does not trade on weekends or holidays, and trades on ordinary weekdays', () => {
    expect(isTradingDay('NYSE', dayOf(2025, 4, 18))).toBe(false); // Good Friday
    expect(isTradingDay('NYSE', dayOf(2025, 4, 19))).toBe(false); // Saturday
    expect(isTradingDay('NYSE', dayOf(2025, 4, 17))).toBe(true);
    expect(isTradingDay('NYSE', dayOf(2025, 11, 28))).toBe(true); // early close, still a session
  });

  it('moves a date that falls on a holiday to the previous trading day, and counts trading days back', () => {
    expect(onOrBeforeTradingDay('NYSE', dayOf(2025, 4, 18))).toBe(dayOf(2025, 4, 17));
    expect(onOrBeforeTradingDay('NYSE', dayOf(2026, 7, 3))).toBe(dayOf(2026, 7, 2));
    expect(onOrBeforeTradingDay('NYSE', dayOf(2025, 4, 17))).toBe(dayOf(2025, 4, 17));
    // Three trading days before Tuesday 2025-01-21 skip MLK Day and the weekend.
    expect(tradingDaysBefore('NYSE', dayOf(2025, 1, 21), 3)).toBe(dayOf(2025, 1, 15));
  });
});

describe('CME Globex calendar (equity index futures)', () => {
  it('is closed on New Year, Good Friday and Christmas', () => {
    for (const d of [dayOf(2025, 1, 1), dayOf(2025, 4, 18), dayOf(2025, 12, 25)]) expect(isTradingDay('CME', d)).toBe(false);
  });

  it('halts at 12:00 CT (13:00 ET) on the other US holidays, and at 12:15 CT on the NYSE early-close days', () => {
    expect(dayRule('CME', dayOf(2025, 1, 20))).toEqual({ holiday: 'Martin Luther King, Jr. Day', closed: false, earlyClose: 13 * 60 });
    expect(dayRule('CME', dayOf(2025, 11, 27)).earlyClose).toBe(13 * 60);
    expect(dayRule('CME', dayOf(2025, 11, 28)).earlyClose).toBe(13 * 60 + 15);
    expect(isTradingDay('CME', dayOf(2025, 7, 4))).toBe(true);
  });
});

describe('IDEALPRO FX calendar', () => {
  it('closes for Christmas Day and New Year\'s Day only, with no observance shift', () => {
    expect(holidaysOf('IDEALPRO', 2026)).toEqual([
      { date: '2026-01-01', name: "New Year's Day" },
      { date: '2026-12-25', name: 'Christmas Day' },
    ]);
    // 2027: both fall on a Friday/Saturday; the Saturday costs no weekday.
    expect(holidaysOf('IDEALPRO', 2027)).toEqual([{ date: '2027-01-01', name: "New Year's Day" }]);
    expect(isTradingDay('IDEALPRO', dayOf(2027, 12, 24))).toBe(true);
    // Thanksgiving and Good Friday are US (settlement) holidays, not FX closures.
    expect(isTradingDay('IDEALPRO', dayOf(2026, 11, 26))).toBe(true);
    expect(isTradingDay('IDEALPRO', dayOf(2026, 4, 3))).toBe(true);
    expect(earlyClosesOf('IDEALPRO', 2026)).toEqual([]);
  });
});
