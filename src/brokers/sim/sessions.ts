/**
 * Trading sessions of the simulated markets, in America/New_York time.
 *
 * SIM_SESSION=real follows the exchanges' hours (US stocks 04:00-20:00 ET with
 * the regular session 09:30-16:00, CME Globex Sunday 18:00 to Friday 17:00 ET
 * with a daily halt at 17:00, IDEALPRO FX Sunday 17:15 to Friday 17:00 ET).
 * SIM_SESSION=always-open keeps every market trading around the clock, but still
 * has an official open (09:30 ET) and close (16:00 ET) every calendar day, so
 * OPG, MOC and DAY orders mean something at any hour. Under SIM_SESSION=real the
 * exchange calendars (core/exchange-calendar.ts) apply: no session on NYSE holidays for US
 * stocks, indices and options, none on CME's full closures for futures, and the
 * early closes (13:00 ET on NYSE, extended hours to 17:00 ET; CME halts at
 * 13:00/13:15 ET). IDEALPRO FX keeps its 24x5 week but for the interbank market's
 * Christmas Day and New Year's Day (core/exchange-calendar.ts).
 */
import { dayRule, type Venue } from '../../core/exchange-calendar.js';

export type SessionMode = 'real' | 'always-open';
export type SessionPhase = 'regular' | 'extended' | 'closed';

/** How an instrument trades. */
export type ScheduleKind = 'us-equity' | 'us-index' | 'us-option' | 'globex' | 'idealpro';

export interface Schedule {
  kind: ScheduleKind;
  /** Regular (liquid) hours in ET minutes after midnight, for useRth bars and the official open/close. */
  rthOpen: number;
  rthClose: number;
}

export interface Window {
  start: number;
  end: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

// ---------------------------------------------------------------------------
// New York time without Intl: US daylight saving rules since 2007.
// ---------------------------------------------------------------------------

/** Day of month of the n-th Sunday (1-based) of a month. */
function nthSunday(year: number, month0: number, n: number): number {
  const firstDow = new Date(Date.UTC(year, month0, 1)).getUTCDay();
  return 1 + ((7 - firstDow) % 7) + (n - 1) * 7;
}

/** Daylight saving instants per year, computed once: this runs for every price the market makes. */
const dstCache = new Map<number, [number, number]>();
const YEAR_MS_APPROX = 31_556_952_000;

/** UTC offset of New York in minutes (-240 in summer, -300 in winter). */
export function nyOffsetMinutes(utcMs: number): number {
  // Cheap year estimate; DST boundaries are far from New Year, so being a few hours off at the turn of a year is harmless.
  const year = 1970 + Math.floor(utcMs / YEAR_MS_APPROX);
  let span = dstCache.get(year);
  if (!span) {
    // DST starts the second Sunday of March at 02:00 EST (07:00 UTC) and ends the first Sunday of November at 02:00 EDT (06:00 UTC).
    span = [Date.UTC(year, 2, nthSunday(year, 2, 2), 7), Date.UTC(year, 10, nthSunday(year, 10, 1), 6)];
    dstCache.set(year, span);
  }
  return utcMs >= span[0] && utcMs < span[1] ? -240 : -300;
}

export interface EtDate {
  /** Days since 1970-01-01 of the New York calendar date. */
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes after New York midnight (fractional). */
  minute: number;
}

export function toEt(utcMs: number): EtDate {
  const local = utcMs + nyOffsetMinutes(utcMs) * MINUTE;
  const day = Math.floor(local / DAY);
  return { day, weekday: (((day + 4) % 7) + 7) % 7, minute: (local - day * DAY) / MINUTE };
}

/** UTC instant of a New York wall-clock time on a New York calendar day. */
export function etToUtc(day: number, minute: number): number {
  const naive = day * DAY + minute * MINUTE;
  // Guess with the offset at the naive instant, then correct once (exact except inside the DST gap, which no session uses).
  const guess = naive - nyOffsetMinutes(naive) * MINUTE;
  return naive - nyOffsetMinutes(guess) * MINUTE;
}

export const isoDateOfDay = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);

const isWeekday = (weekday: number): boolean => weekday >= 1 && weekday <= 5;

// ---------------------------------------------------------------------------
// Windows per New York trading day
// ---------------------------------------------------------------------------

const venueOf = (kind: ScheduleKind): Venue => (kind === 'globex' ? 'CME' : kind === 'idealpro' ? 'IDEALPRO' : 'NYSE');

/** The whole trading window (extended hours included) of trading day `day`, or null when it does not trade. */
export function tradingWindow(schedule: Schedule, mode: SessionMode, day: number): Window | null {
  if (mode === 'always-open') return { start: etToUtc(day, 0), end: etToUtc(day + 1, 0) };
  const weekday = (((day + 4) % 7) + 7) % 7;
  if (!isWeekday(weekday)) return null;
  const rule = dayRule(venueOf(schedule.kind), day);
  if (rule.closed) return null;
  const early = rule.earlyClose;
  switch (schedule.kind) {
    case 'us-equity':
      // On NYSE's early-close days the extended session ends at 17:00 ET.
      return { start: etToUtc(day, 4 * 60), end: etToUtc(day, early === null ? 20 * 60 : 17 * 60) };
    case 'us-index':
    case 'us-option':
      return { start: etToUtc(day, schedule.rthOpen), end: etToUtc(day, early === null ? schedule.rthClose : Math.min(early, schedule.rthClose)) };
    case 'globex':
      // The trading day named D opens at 18:00 ET the evening before (Sunday evening for Monday).
      return { start: etToUtc(day - 1, 18 * 60), end: etToUtc(day, early === null ? 17 * 60 : early) };
    case 'idealpro':
      return { start: etToUtc(day - 1, 17 * 60 + 15), end: etToUtc(day, 17 * 60) };
  }
}

/** The official close of trading day `day` in New York minutes: the schedule's, or the exchange's early close. */
function closeMinute(schedule: Schedule, day: number): number {
  const early = dayRule(venueOf(schedule.kind), day).earlyClose;
  return early === null ? schedule.rthClose : Math.min(early, schedule.rthClose);
}

/** The regular session of trading day `day` (official open to official close), or null. */
export function regularWindow(schedule: Schedule, mode: SessionMode, day: number): Window | null {
  if (mode === 'always-open') return { start: etToUtc(day, schedule.rthOpen), end: etToUtc(day, schedule.rthClose) };
  if (!tradingWindow(schedule, mode, day)) return null;
  return { start: etToUtc(day, schedule.rthOpen), end: etToUtc(day, closeMinute(schedule, day)) };
}

/** Trading days whose windows can contain `t`: a globex/idealpro day starts the evening before. */
const candidateDays = (t: number): number[] => {
  const d = toEt(t).day;
  return [d, d + 1];
};

export function phaseAt(schedule: Schedule, mode: SessionMode, t: number): SessionPhase {
  if (mode === 'always-open') return 'regular';
  for (const day of candidateDays(t)) {
    const w = tradingWindow(schedule, mode, day);
    if (!w || t < w.start || t >= w.end) continue;
    const r = regularWindow(schedule, mode, day);
    return r && t >= r.start && t < r.end ? 'regular' : 'extended';
  }
  return 'closed';
}

/**
 * Whether an order may execute at `t`. US stocks need the regular session unless
 * the order allows outside-RTH execution; futures and FX trade whenever their
 * venue is open, as IBKR treats the Globex and IDEALPRO sessions.
 */
export function canExecute(schedule: Schedule, mode: SessionMode, t: number, outsideRth: boolean): boolean {
  return canExecuteIn(schedule, phaseAt(schedule, mode, t), outsideRth);
}

/** canExecute for a phase already known (the matching loop looks the phase up once per instant and schedule). */
export function canExecuteIn(schedule: Schedule, phase: SessionPhase, outsideRth: boolean): boolean {
  if (phase === 'closed') return false;
  if (phase === 'regular') return true;
  if (schedule.kind === 'globex' || schedule.kind === 'idealpro') return true;
  return outsideRth && schedule.kind === 'us-equity';
}

/** The trading day that is trading at `t`, or the next one to trade after it. */
export function currentOrNextTradingDay(schedule: Schedule, mode: SessionMode, t: number): number {
  let day = toEt(t).day - 1;
  for (let i = 0; i < 14; i++, day++) {
    const w = tradingWindow(schedule, mode, day);
    if (w && t < w.end) return day;
  }
  return day;
}

/** The most recent instant <= t at which the market was trading (prices freeze while it is closed). */
export function lastTradingInstant(schedule: Schedule, mode: SessionMode, t: number): number {
  if (mode === 'always-open') return t;
  let day = toEt(t).day + 1;
  for (let i = 0; i < 14; i++, day--) {
    const w = tradingWindow(schedule, mode, day);
    if (!w || w.start > t) continue;
    return Math.min(t, w.end - 1000);
  }
  return t;
}

/** First official open strictly after `t`. */
export function nextOpen(schedule: Schedule, mode: SessionMode, t: number): number {
  let day = toEt(t).day - 1;
  for (let i = 0; i < 14; i++, day++) {
    const r = regularWindow(schedule, mode, day);
    if (r && r.start > t) return r.start;
  }
  return t + DAY;
}

/** First official close at or after `t`. */
export function nextClose(schedule: Schedule, mode: SessionMode, t: number): number {
  let day = toEt(t).day - 1;
  for (let i = 0; i < 14; i++, day++) {
    const r = regularWindow(schedule, mode, day);
    if (r && r.end >= t) return r.end;
  }
  return t + DAY;
}

/** The official close of the regular session in progress at `t`, or null when none is. */
export function closeOfSessionAt(schedule: Schedule, mode: SessionMode, t: number): number | null {
  for (const day of candidateDays(t)) {
    const r = regularWindow(schedule, mode, day);
    if (r && t >= r.start && t < r.end) return r.end;
  }
  return null;
}

/**
 * When a DAY order placed at `t` expires: the end of the session it can trade in.
 * US stocks: the regular close, or 20:00 ET when it may trade outside RTH.
 * Futures and FX: the end of the trading day (17:00 ET). Always-open: the daily 16:00 ET close.
 */
export function dayOrderExpiry(schedule: Schedule, mode: SessionMode, t: number, outsideRth: boolean): number {
  if (mode === 'always-open') return nextClose(schedule, mode, t + 1);
  const extended = schedule.kind === 'globex' || schedule.kind === 'idealpro' || (schedule.kind === 'us-equity' && outsideRth);
  let day = toEt(t).day - 1;
  for (let i = 0; i < 14; i++, day++) {
    const w = extended ? tradingWindow(schedule, mode, day) : regularWindow(schedule, mode, day);
    if (w && w.end > t) return w.end;
  }
  return t + DAY;
}

/** Session boundaries (window starts and ends) in (from, to], in order: the instants the tick loop must not step over. */
export function boundariesBetween(schedule: Schedule, mode: SessionMode, from: number, to: number, limit = 64): number[] {
  const out: number[] = [];
  let day = toEt(from).day - 1;
  const lastDay = toEt(to).day + 1;
  for (; day <= lastDay && out.length < limit; day++) {
    for (const w of [tradingWindow(schedule, mode, day), regularWindow(schedule, mode, day)]) {
      if (!w) continue;
      for (const b of [w.start, w.end]) if (b > from && b <= to) out.push(b);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}
