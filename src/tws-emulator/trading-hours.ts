/**
 * What contract details say about when and in what increments a contract
 * trades: tradingHours / liquidHours in IBKR's "YYYYMMDD:HHMM-YYYYMMDD:HHMM;"
 * form with the time zone they are written in, and the market rule ids whose
 * price increments reqMarketRule serves.
 *
 * The simulator has no session or market-rule table behind the Broker port,
 * so both are derived here from the contract: the hours are the exchanges'
 * (the ones the simulator's SIM_SESSION=real follows, New York time, no
 * holidays, as the simulator models none), and a market rule is one price
 * increment, the contract's minimum tick, with the rule id the tick x 10^8
 * (so the id alone says the increment and needs no table).
 */
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
}

const WEEKDAYS = new Set([1, 2, 3, 4, 5]);
const RTH: Session = { start: 9 * 60 + 30, end: 16 * 60, startDayOffset: 0 };

function hoursOf(c: Contract): Hours {
  switch (c.securityType) {
    case 'STK':
    case 'ETF':
      return { trading: { start: 4 * 60, end: 20 * 60, startDayOffset: 0 }, liquid: RTH, weekdays: WEEKDAYS };
    case 'FUT':
      return { trading: { start: 18 * 60, end: 17 * 60, startDayOffset: -1 }, liquid: RTH, weekdays: WEEKDAYS };
    case 'CASH':
      return { trading: { start: 17 * 60 + 15, end: 17 * 60, startDayOffset: -1 }, liquid: { start: 17 * 60 + 15, end: 17 * 60, startDayOffset: -1 }, weekdays: WEEKDAYS };
    default:
      return { trading: RTH, liquid: RTH, weekdays: WEEKDAYS };
  }
}

/** The ET calendar date (YYYYMMDD) and weekday of a UTC instant. */
function etDate(ms: number): { ymd: string; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { ymd: `${get('year')}${get('month')}${get('day')}`, weekday };
}

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;

function describe(session: Session, weekdays: ReadonlySet<number>, nowMs: number): string {
  const out: string[] = [];
  // Noon UTC of each day stays on the same ET date, whatever daylight saving does.
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS / 2;
  for (let i = 0; i < DAYS_LISTED; i++) {
    const day = etDate(today + i * DAY_MS);
    if (!weekdays.has(day.weekday)) {
      out.push(`${day.ymd}:CLOSED`);
      continue;
    }
    const startDay = session.startDayOffset === -1 ? etDate(today + (i - 1) * DAY_MS).ymd : day.ymd;
    out.push(`${startDay}:${hhmm(session.start)}-${day.ymd}:${hhmm(session.end)}`);
  }
  return out.join(';');
}

export function tradingHours(c: Contract, nowMs: number): { timeZoneId: string; tradingHours: string; liquidHours: string } {
  const h = hoursOf(c);
  return { timeZoneId: TIME_ZONE_ID, tradingHours: describe(h.trading, h.weekdays, nowMs), liquidHours: describe(h.liquid, h.weekdays, nowMs) };
}

const RULE_SCALE = 1e8;

/** The market rule id of a contract: its minimum tick x 10^8. */
export const marketRuleId = (c: Pick<Contract, 'minTick'>): number => Math.round(c.minTick * RULE_SCALE);

/** The price increments of a rule id, or null for an id no contract can have. */
export function marketRule(ruleId: number): { lowEdge: number; increment: number }[] | null {
  if (!Number.isInteger(ruleId) || ruleId <= 0 || ruleId > 2_147_483_647) return null;
  return [{ lowEdge: 0, increment: Number((ruleId / RULE_SCALE).toPrecision(12)) }];
}
