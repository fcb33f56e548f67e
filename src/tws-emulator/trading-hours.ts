/**
 * What contract details say about when and in what increments a contract
 * trades: tradingHours / liquidHours in IBKR's "YYYYMMDD:HHMM-YYYYMMDD:HHMM;"
 * form with the time zone they are written in, and the market rule ids whose
 * price increments reqMarketRule serves.
 *
 * The simulator has no session or market-rule table behind the Broker port,
 * so both are derived here from the contract: the hours are the exchanges'
 * (the ones the simulator's SIM_SESSION=real follows, New York time, with the
 * exchange calendar's holidays as CLOSED and its early closes, as IBKR lists
 * them), and a market rule is one price
 * increment, the contract's minimum tick, with the rule id the tick x 10^8
 * (so the id alone says the increment and needs no table).
 */
import { dayOf, dayRule, type Venue } from '../core/exchange-calendar.js';
import type { Contract } from '../core/models.js';

export const TIME_ZONE_ID = 'US/Eastern';
const ZONE = 'America/New_York';
const DAY_MS = 86_400_000;
/** Sessions listed from today on, as a gateway lists about a week. */
const DAYS_LISTED = 7;

interface Session {
  /** Minutes after midnight ET; `startDayOffset` -1 for a session that opens the evening before (Globex, IDEALPRO). */
  start: number;
  end: number;
  startDayOffset: 0 | -1;
}

interface Hours {
  trading: Session;
  liquid: Session;
  /** Trades on this ET weekday (0 Sunday): the day a session ends on. */
  weekdays: ReadonlySet<number>;
  /** Whose holidays and early closes apply. */
  venue: Venue;
  /** Where the trading session ends on an early-close day (ET minutes), given the early close. */
  earlyTradingEnd: (earlyClose: number) => number;
}

const WEEKDAYS = new Set([1, 2, 3, 4, 5]);
const RTH: Session = { start: 9 * 60 + 30, end: 16 * 60, startDayOffset: 0 };

const atEarlyClose = (earlyClose: number): number => earlyClose;

function hoursOf(c: Contract): Hours {
  switch (c.securityType) {
    case 'STK':
    case 'ETF':
      // On NYSE's early-close days the extended session ends at 17:00 ET (as the simulator's sessions.ts).
      return { trading: { start: 4 * 60, end: 20 * 60, startDayOffset: 0 }, liquid: RTH, weekdays: WEEKDAYS, venue: 'NYSE', earlyTradingEnd: () => 17 * 60 };
    case 'FUT':
      return { trading: { start: 18 * 60, end: 17 * 60, startDayOffset: -1 }, liquid: RTH, weekdays: WEEKDAYS, venue: 'CME', earlyTradingEnd: atEarlyClose };
    case 'CASH': {
      const week: Session = { start: 17 * 60 + 15, end: 17 * 60, startDayOffset: -1 };
      return { trading: week, liquid: week, weekdays: WEEKDAYS, venue: 'IDEALPRO', earlyTradingEnd: atEarlyClose };
    }
    default:
      return { trading: RTH, liquid: RTH, weekdays: WEEKDAYS, venue: 'NYSE', earlyTradingEnd: atEarlyClose };
  }
}

/** The ET calendar date (YYYYMMDD) and weekday of a UTC instant. */
function etDate(ms: number): { ymd: string; weekday: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { ymd: `${get('year')}${get('month')}${get('day')}`, weekday, day: dayOf(Number(get('year')), Number(get('month')), Number(get('day'))) };
}

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;

/** One session per listed day: CLOSED on weekends and the venue's holidays, cut short on its early closes. */
function describe(session: Session, h: Hours, earlyEnd: (earlyClose: number) => number, nowMs: number): string {
  const out: string[] = [];
  // Noon UTC of each day stays on the same ET date, whatever daylight saving does.
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS / 2;
  for (let i = 0; i < DAYS_LISTED; i++) {
    const day = etDate(today + i * DAY_MS);
    const rule = dayRule(h.venue, day.day);
    if (!h.weekdays.has(day.weekday) || rule.closed) {
      out.push(`${day.ymd}:CLOSED`);
      continue;
    }
    const startDay = session.startDayOffset === -1 ? etDate(today + (i - 1) * DAY_MS).ymd : day.ymd;
    const end = rule.earlyClose === null ? session.end : Math.min(session.end, earlyEnd(rule.earlyClose));
    out.push(`${startDay}:${hhmm(session.start)}-${day.ymd}:${hhmm(end)}`);
  }
  return out.join(';');
}

export function tradingHours(c: Contract, nowMs: number): { timeZoneId: string; tradingHours: string; liquidHours: string } {
  const h = hoursOf(c);
  return { timeZoneId: TIME_ZONE_ID, tradingHours: describe(h.trading, h, h.earlyTradingEnd, nowMs), liquidHours: describe(h.liquid, h, atEarlyClose, nowMs) };
}

const RULE_SCALE = 1e8;

/** The market rule id of a contract: its minimum tick x 10^8. */
export const marketRuleId = (c: Pick<Contract, 'minTick'>): number => Math.round(c.minTick * RULE_SCALE);

/** The price increments of a rule id, or null for an id no contract can have. */
export function marketRule(ruleId: number): { lowEdge: number; increment: number }[] | null {
  if (!Number.isInteger(ruleId) || ruleId <= 0 || ruleId > 2_147_483_647) return null;
  return [{ lowEdge: 0, increment: Number((ruleId / RULE_SCALE).toPrecision(12)) }];
}
