/**
 * The v100+ handshake. The client sends `API\0` and a length-prefixed
 * "v<min>..<max>" (possibly followed by connect options such as "+PACEAPI");
 * the gateway answers with the version it will speak and its connection time,
 * then waits for START_API.
 */
import { twsDateTime } from './messages/historical.js';

/** The oldest version whose message layouts this emulator writes exactly (BOND_ISSUERID). */
export const MIN_SERVED_VERSION = 176;

/** The version to speak, or null when the client's range and ours do not meet. */
export function negotiateVersion(versions: string, maxServerVersion: number): number | null {
  const m = /^v(\d+)(?:\.\.(\d+))?/.exec(versions.trim());
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  const version = Math.min(max, maxServerVersion);
  return version >= Math.max(min, MIN_SERVED_VERSION) ? version : null;
}

/** Connection time as gateways write it: "YYYYMMDD HH:MM:SS <zone>". */
export const connectionTime = (nowMs: number): string => twsDateTime(nowMs);
