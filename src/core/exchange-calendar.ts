/**
 * Exchange calendars: which New York calendar days NYSE and CME do not trade,
 * and which close early.
 *
 * Source: the rules are NYSE's published holiday and early-close schedule
 * (nyse.com "Holidays & Trading Hours", 2024-2028) and CME Group's holiday
 * calendar for equity-index futures, as also encoded in the maintained
 * calendar project rsheftel/pandas_market_calendars (holidays_nyse.py,
 * exchange_calendar_nyse.py, CME equity calendar). They are written here as
 * rules (nth weekday, Easter, weekend observance) rather than a copied table,
 * and calendar.test.ts checks them against NYSE's published dates for
 * 2024-2028. Rules cover any year from 2022 (Juneteenth's first year);
 * one-off closures are listed in AD_HOC_CLOSURES.
 *
 * Days are New York calendar days counted from 1970-01-01, as in sessions.ts.
 */

const DAY_MS = 86_400_000;

/** What an exchange does on one calendar day. */
export interface DayRule {
  /** The holiday's name when the exchange does not trade (or only halts early) that day. */
  holiday: string | null;
  /** No trading at all that day. */
  closed: boolean;
  /** Early close, in New York minutes after midnight; null for the normal close. */
  earlyClose: number | null;
}

export type Venue = 'NYSE' | 'CME' | 'IDEALPRO';

const OPEN_DAY: DayRule = { holiday: null, closed: false, earlyClose: null };

export const dayOf = (year: number, month1: number, date: number): number => Math.floor(Date.UTC(year, month1 - 1, date) / DAY_MS);
export const weekdayOfDay = (day: number): number => (((day + 4) % 7) + 7) % 7;
export const isoOfDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Day of the n-th (1-based) `weekday` of a month; n = -1 for the last. */
function nthWeekday(year: number, month1: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = dayOf(year, month1, 1);
    return first + ((weekday - weekdayOfDay(first) + 7) % 7) + (n - 1) * 7;
  }
  const last = dayOf(year, month1 + 1, 1) - 1;
  return last - ((weekdayOfDay(last) - weekday + 7) % 7);
}

/** Easter Sunday (Gregorian, the anonymous "Meeus/Jones/Butcher" computation). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const date = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, date);
}

/** A fixed-date holiday as observed: Saturday moves to Friday, Sunday to Monday. */
function observed(day: number): number {
  const wd = weekdayOfDay(day);
  return wd === 6 ? day - 1 : wd === 0 ? day + 1 : day;
}

/** One-off NYSE closures (national days of mourning), by ISO date. */
const AD_HOC_CLOSURES: Record<string, string> = {
  '2025-01-09': 'National Day of Mourning for President Carter',
};

/** NYSE's full-day holidays of one year, by day. */
function nyseHolidays(year: number): Map<number, string> {
  const out = new Map<number, string>();
  // New Year's Day: a Saturday New Year is not observed on the Friday before (NYSE rule 7.2).
  const ny = dayOf(year, 1, 1);
  if (weekdayOfDay(ny) !== 6) out.set(observed(ny), "New Year's Day");
  out.set(nthWeekday(year, 1, 1, 3), 'Martin Luther King, Jr. Day');
  out.set(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  out.set(easterSunday(year) - 2, 'Good Friday');
  out.set(nthWeekday(year, 5, 1, -1), 'Memorial Day');
  if (year >= 2022) out.set(observed(dayOf(year, 6, 19)), 'Juneteenth National Independence Day');
  out.set(observed(dayOf(year, 7, 4)), 'Independence Day');
  out.set(nthWeekday(year, 9, 1, 1), 'Labor Day');
  out.set(nthWeekday(year, 11, 4, 4), 'Thanksgiving Day');
  out.set(observed(dayOf(year, 12, 25)), 'Christmas Day');
  for (const [iso, name] of Object.entries(AD_HOC_CLOSURES)) if (iso.startsWith(String(year))) out.set(Date.parse(`${iso}T00:00:00Z`) / DAY_MS, name);
  return out;
}

/** NYSE's 13:00 ET early closes of one year: 3 July (Mon-Thu), the day after Thanksgiving, 24 December (Mon-Thu). */
function nyseEarlyCloses(year: number, holidays: Map<number, string>): Set<number> {
  const out = new Set<number>();
  const jul3 = dayOf(year, 7, 3);
  if (weekdayOfDay(jul3) >= 1 && weekdayOfDay(jul3) <= 4 && !holidays.has(jul3)) out.add(jul3);
  out.add(nthWeekday(year, 11, 4, 4) + 1);
  const dec24 = dayOf(year, 12, 24);
  if (weekdayOfDay(dec24) >= 1 && weekdayOfDay(dec24) <= 4 && !holidays.has(dec24)) out.add(dec24);
  return out;
}

const NYSE_EARLY_CLOSE = 13 * 60;
/** CME equity and energy/metals Globex: 12:00 CT halt on US holidays, 12:15 CT on NYSE's early-close days. */
const CME_HOLIDAY_HALT = 13 * 60;
const CME_EARLY_CLOSE = 13 * 60 + 15;
/** Holidays on which CME Globex does not trade at all; on the others it halts early. */
const CME_FULL_CLOSURES = new Set(["New Year's Day", 'Good Friday', 'Christmas Day']);

/**
 * IDEALPRO (IBKR's FX venue, Sunday-Friday 17:15-17:00 ET) follows the interbank market, which shuts only
 * for Christmas Day and New Year's Day: the trade date 25 December or 1 January (the session that would run
 * from 17:15 ET the evening before) does not trade, and trading resumes that evening for the next trade
 * date. There is no observance shift: a holiday on a weekend costs no weekday. Sources: IBKR's IDEALPRO
 * hours (interactivebrokers.com, "Currencies - Global", with its holiday calendar) and the interbank
 * holiday tables of FX venues (e.g. OANDA's Christmas and New Year closures 2024-2026); US holidays such as
 * Thanksgiving are settlement holidays for USD, not trading closures.
 */
function idealproHolidays(year: number): Map<number, DayRule> {
  return new Map<number, DayRule>([
    [dayOf(year, 1, 1), { holiday: "New Year's Day", closed: true, earlyClose: null }],
    [dayOf(year, 12, 25), { holiday: 'Christmas Day', closed: true, earlyClose: null }],
  ]);
}

const years = new Map<string, Map<number, DayRule>>();

function yearRules(venue: Venue, year: number): Map<number, DayRule> {
  const key = `${venue}${year}`;
  let rules = years.get(key);
  if (rules) return rules;
  if (venue === 'IDEALPRO') {
    rules = idealproHolidays(year);
    years.set(key, rules);
    return rules;
  }
  rules = new Map();
  const holidays = nyseHolidays(year);
  const early = nyseEarlyCloses(year, holidays);
  for (const [day, name] of holidays) {
    if (venue === 'NYSE') rules.set(day, { holiday: name, closed: true, earlyClose: null });
    else if (CME_FULL_CLOSURES.has(name) || name.startsWith('National Day of Mourning')) rules.set(day, { holiday: name, closed: true, earlyClose: null });
    else rules.set(day, { holiday: name, closed: false, earlyClose: CME_HOLIDAY_HALT });
  }
  for (const day of early) rules.set(day, { holiday: null, closed: false, earlyClose: venue === 'NYSE' ? NYSE_EARLY_CLOSE : CME_EARLY_CLOSE });
  years.set(key, rules);
  return rules;
}

const yearOfDay = (day: number): number => new Date(day * DAY_MS).getUTCFullYear();

/** Per venue, each day's rule once looked up: sessions ask for it on every price the market makes. */
const byDay: Record<Venue, Map<number, DayRule>> = { NYSE: new Map(), CME: new Map(), IDEALPRO: new Map() };

/** What `venue` does on New York calendar day `day` (weekends are not special-cased here). */
export function dayRule(venue: Venue, day: number): DayRule {
  const cache = byDay[venue];
  let rule = cache.get(day);
  if (rule === undefined) {
    rule = yearRules(venue, yearOfDay(day)).get(day) ?? OPEN_DAY;
    cache.set(day, rule);
  }
  return rule;
}

/** Whether `venue` has a session on `day`: a weekday that is not a full closure. */
export function isTradingDay(venue: Venue, day: number): boolean {
  const wd = weekdayOfDay(day);
  return wd >= 1 && wd <= 5 && !dayRule(venue, day).closed;
}

/** `day` itself when it trades, else the nearest trading day before it (an expiry on a holiday moves here). */
export function onOrBeforeTradingDay(venue: Venue, day: number): number {
  let d = day;
  for (let i = 0; i < 10 && !isTradingDay(venue, d); i++) d--;
  return d;
}

/** The `n`-th trading day before `day` (n >= 1). */
export function tradingDaysBefore(venue: Venue, day: number, n: number): number {
  let d = day;
  for (let k = 0; k < n; ) {
    d--;
    if (isTradingDay(venue, d)) k++;
  }
  return d;
}

/** Full-day closures of `venue` in a year, as ISO dates with their names (weekday holidays only). */
export function holidaysOf(venue: Venue, year: number): Array<{ date: string; name: string }> {
  return [...yearRules(venue, year).entries()]
    .filter(([day, r]) => r.closed && weekdayOfDay(day) >= 1 && weekdayOfDay(day) <= 5)
    .sort(([a], [b]) => a - b)
    .map(([day, r]) => ({ date: isoOfDay(day), name: r.holiday ?? '' }));
}

/** Early closes of `venue` in a year, as ISO dates with the close in New York "HH:MM". */
export function earlyClosesOf(venue: Venue, year: number): Array<{ date: string; close: string }> {
  return [...yearRules(venue, year).entries()]
    .filter(([, r]) => r.earlyClose !== null)
    .sort(([a], [b]) => a - b)
    .map(([day, r]) => {
      const m = r.earlyClose ?? 0;
      return { date: isoOfDay(day), close: `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}` };
    });
}
