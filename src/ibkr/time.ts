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
