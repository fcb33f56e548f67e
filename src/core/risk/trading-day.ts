/**
 * The risk day: it starts at DAILY_LOSS_RESET_TIME, New York time (the
 * convention of US brokers: the trading day rolls at 17:00 ET). Computed with
 * Intl so daylight saving moves the boundary with New York, not with UTC.
 */
const ZONE = 'America/New_York';

// Made at the first use, not at import: building it loads the zone's ICU data, a measurable part of
// start-up, and nothing asks for the risk day before the first order.
let formatter: Intl.DateTimeFormat | null = null;
const newYorkFormatter = (): Intl.DateTimeFormat =>
  (formatter ??= new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }));

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localTime(ms: number): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of newYorkFormatter().formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** New York's offset from UTC at an instant, in ms (negative: behind UTC). */
function offsetAt(ms: number): number {
  const t = localTime(ms);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of a New York wall-clock time (two passes settle a DST change). */
function fromLocal(year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}

/**
 * The last answer per reset time, with the UTC minute it holds for. Day starts
 * fall on whole minutes (New York's offsets are whole hours), so every instant
 * of one UTC minute has the same day start: the Intl work runs once a minute,
 * not for every order.
 */
const lastStart = new Map<string, { minute: number; start: number }>();

/** Start (ms) of the risk day containing `now`: the latest HH:MM New York time at or before `now`. */
export function riskDayStart(now: number, resetTime: string): number {
  if (!Number.isFinite(now)) return computeRiskDayStart(now, resetTime);
  const minute = Math.floor(now / 60_000);
  const cached = lastStart.get(resetTime);
  if (cached && cached.minute === minute) return cached.start;
  const start = computeRiskDayStart(now, resetTime);
  if (lastStart.size > 16) lastStart.clear();
  lastStart.set(resetTime, { minute, start });
  return start;
}

function computeRiskDayStart(now: number, resetTime: string): number {
  const [h, m] = resetTime.split(':').map(Number);
  const hour = h ?? 0;
  const minute = m ?? 0;
  const t = localTime(now);
  const today = fromLocal(t.year, t.month, t.day, hour, minute);
  if (today <= now) return today;
  // Before today's reset: the day began at yesterday's reset. Date.UTC rolls day 0 back a month.
  const y = new Date(Date.UTC(t.year, t.month - 1, t.day - 1));
  return fromLocal(y.getUTCFullYear(), y.getUTCMonth() + 1, y.getUTCDate(), hour, minute);
}
