/**
 * UTC ISO 8601 text of a millisecond instant, as Date.prototype.toISOString
 * writes it, for the simulator's quotes and the instants an order carries (its
 * updates, its fills, the account reports' timestamps: several per order).
 *
 * A quote is made for every new millisecond it is asked at, and toISOString
 * (a call into V8's runtime) was the largest cost of making one: ~1.7 µs of
 * ~4 µs on this machine. The text of an instant is the text of its whole second
 * with the milliseconds replaced, so the second's text is kept and only its last
 * five characters change. Years 0-9999 only (toISOString writes other years
 * with a sign and six digits); anything else is toISOString's own.
 */

const MILLIS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);
/** 10000-01-01T00:00:00Z: from here on toISOString writes '+010000-...'. */
const YEAR_10000 = 253_402_300_800_000;

let keptSecond = Number.NaN;
/** 'YYYY-MM-DDTHH:mm:ss.' of keptSecond. */
let keptText = '';

export function isoTime(t: number): string {
  if (!Number.isInteger(t) || t < 0 || t >= YEAR_10000) return new Date(t).toISOString();
  const ms = t % 1000;
  const second = t - ms;
  if (second !== keptSecond) {
    keptText = new Date(second).toISOString().slice(0, 20);
    keptSecond = second;
  }
  return keptText + (MILLIS[ms] as string);
}
