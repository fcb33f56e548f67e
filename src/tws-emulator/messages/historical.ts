/**
 * HISTORICAL_DATA at server version >= SYNT_REALTIME_BARS (124): no version
 * field, start and end of the window, then per bar date, OHLC, volume, WAP
 * and bar count (no hasGaps).
 */
import type { Bar } from '../../core/models.js';
import type { Field } from '../framing.js';
import { Msg } from '../protocol.js';

const pad = (n: number): string => String(n).padStart(2, '0');

/** "YYYYMMDD" */
export function twsDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

/** "YYYYMMDD HH:MM:SS UTC": the formatDate=1 form of newer gateways, with the zone named. */
export function twsDateTime(ms: number): string {
  const d = new Date(ms);
  return `${twsDay(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** Bar time as a gateway writes it: daily and longer bars as a date, shorter ones per formatDate (2 = epoch seconds). */
export function barTime(ms: number, daily: boolean, formatDate: number): string {
  if (daily) return twsDay(ms);
  return formatDate === 2 ? String(Math.floor(ms / 1000)) : twsDateTime(ms);
}

export function historicalDataMessage(reqId: number, bars: readonly Bar[], window: { startMs: number; endMs: number }, daily: boolean, formatDate: number): Field[] {
  const fields: Field[] = [Msg.HISTORICAL_DATA, reqId, twsDateTime(window.startMs), twsDateTime(window.endMs), bars.length];
  for (const b of bars) {
    fields.push(barTime(Date.parse(b.time), daily, formatDate), b.open, b.high, b.low, b.close, b.volume, b.wap ?? b.close, b.barCount ?? 0);
  }
  return fields;
}
