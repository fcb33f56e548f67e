/**
 * TWS date-times as both ends of the wire write them: "YYYYMMDD HH:MM:SS
 * [zone]", "YYYYMMDD-HH:MM:SS" (UTC) or "YYYYMMDD". Shared by the adapter and
 * the emulator; plain strings, no @stoqey/ib import.
 */

/** Epoch ms of a TWS date-time; null when empty or unreadable. A named zone is an IANA zone (e.g. US/Eastern). */
export function parseTwsDateTime(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:[ -]+(\d{2}):(\d{2}):(\d{2}))?(?:\s+(\S+))?$/.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, se, zone] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(se ?? 0));
  if (zone === undefined || zone === 'UTC' || zone === 'GMT') return utc;
  return utc - zoneOffsetMs(zone, utc);
}

/** Offset of an IANA zone at a moment, from Intl; 0 for zones Intl does not know. */
function zoneOffsetMs(zone: string, atUtc: number): number {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(atUtc));
    const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - atUtc;
  } catch {
    return 0;
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "YYYYMMDD-HH:MM:SS", the UTC form IBKR's date-time fields accept (TWS 10.17 / API 10.18 on), for a UTC ISO 8601 time. */
export function toTwsUtc(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/**
 * An order's goodAfterTime or goodTillDate as IBKR reads it, to UTC ISO 8601: "YYYYMMDD-HH:MM:SS" (UTC),
 * "YYYYMMDD HH:MM:SS <zone>" (an IANA zone such as US/Eastern), or, for goodTillDate, a bare
 * "YYYYMMDD", which IBKR works until that day's close (taken as 16:00 US/Eastern, the US close).
 * Empty: undefined; unreadable: null.
 */
export function twsOrderTimeToIso(s: string, field: 'goodAfterTime' | 'goodTillDate'): string | undefined | null {
  const text = s.trim();
  if (text === '') return undefined;
  const dateOnly = /^\d{8}$/.test(text);
  if (dateOnly && field === 'goodAfterTime') return null;
  const ms = parseTwsDateTime(dateOnly ? `${text} 16:00:00 America/New_York` : text);
  return ms === null || Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
