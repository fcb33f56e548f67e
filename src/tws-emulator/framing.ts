/**
 * TWS API framing (protocol v100+): every message is a 4-byte big-endian
 * length followed by that many bytes of NUL-terminated UTF-8 fields. The only
 * exception is the client's very first bytes, `API\0` + a length-prefixed
 * version range without field terminators, which `FrameReader` reports as a
 * separate `handshake` frame so the session never sees raw bytes.
 */

/** One field as we write it; null/undefined become the empty field TWS uses for "unset". */
export type Field = string | number | boolean | null | undefined;

/** TWS's Double.MAX_VALUE: what a real gateway writes for an unset double in a few places. */
export const UNSET_DOUBLE = '1.7976931348623157E308';
/** TWS's Integer.MAX_VALUE, the "unset" int. */
export const UNSET_INT = 2147483647;

/** TWS refuses anything longer; so do we, rather than buffering without bound. */
export const MAX_FRAME_BYTES = 0xffffff;

const HANDSHAKE_PREFIX = Buffer.from('API\0', 'latin1');

export function formatField(value: Field): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    // Non-finite numbers have no wire form; an empty field is "unset" to every decoder.
    if (!Number.isFinite(value)) return '';
    return String(value);
  }
  // A NUL inside a value would split it into two fields and shift every field after it.
  return value.includes('\0') ? value.replaceAll('\0', ' ') : value;
}

/** Frames one message: length prefix, then every field followed by a NUL. */
export function encodeFrame(fields: readonly Field[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${formatField(f)}\0`).join(''), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Splits a frame body into its fields (the trailing NUL ends the last field, it does not start a new one). */
export function splitFields(body: Buffer): string[] {
  const text = body.toString('utf8');
  const parts = text.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export type Frame = { kind: 'handshake'; versions: string } | { kind: 'message'; fields: string[] };

export class FrameError extends Error {}

/**
 * Streaming reader: bytes in, whole frames out. TCP may split a frame across
 * reads or put several in one read; both are handled by buffering until a
 * complete length-prefixed frame is present.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private awaitingHandshake: boolean;

  constructor(options: { expectHandshake: boolean } = { expectHandshake: true }) {
    this.awaitingHandshake = options.expectHandshake;
  }

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.awaitingHandshake) {
        if (this.buffer.length < HANDSHAKE_PREFIX.length) return frames;
        if (!this.buffer.subarray(0, HANDSHAKE_PREFIX.length).equals(HANDSHAKE_PREFIX)) {
          throw new FrameError('client did not start with API\\0: only the v100+ protocol is served');
        }
        const rest = this.buffer.subarray(HANDSHAKE_PREFIX.length);
        const body = this.takeFrame(rest);
        if (body === null) return frames;
        this.buffer = rest.subarray(4 + body.length);
        this.awaitingHandshake = false;
        frames.push({ kind: 'handshake', versions: body.toString('utf8').replace(/\0+$/, '') });
        continue;
      }
      const body = this.takeFrame(this.buffer);
      if (body === null) return frames;
      this.buffer = this.buffer.subarray(4 + body.length);
      frames.push({ kind: 'message', fields: splitFields(body) });
    }
  }

  private takeFrame(buf: Buffer): Buffer | null {
    if (buf.length < 4) return null;
    const size = buf.readUInt32BE(0);
    if (size > MAX_FRAME_BYTES) throw new FrameError(`frame of ${size} bytes exceeds the ${MAX_FRAME_BYTES} byte limit`);
    if (buf.length < 4 + size) return null;
    return buf.subarray(4, 4 + size);
  }
}

/**
 * Reads the fields of one request in order. Reads past the end return the
 * empty field, as TWS's own decoder does for optional trailing fields sent by
 * older clients, so a short message never throws mid-request.
 */
export class FieldReader {
  private index = 0;

  constructor(private readonly fields: readonly string[]) {}

  get remaining(): number {
    return Math.max(0, this.fields.length - this.index);
  }

  str(): string {
    const v = this.fields[this.index];
    this.index += 1;
    return v ?? '';
  }

  int(): number {
    const v = Number.parseInt(this.str(), 10);
    return Number.isNaN(v) ? 0 : v;
  }

  /** An int where the empty field or Integer.MAX_VALUE mean unset. */
  intOrNull(): number | null {
    const s = this.str();
    if (s === '') return null;
    const v = Number.parseInt(s, 10);
    return Number.isNaN(v) || v === UNSET_INT ? null : v;
  }

  /** A double where the empty field or Double.MAX_VALUE mean unset. */
  num(): number | null {
    const s = this.str();
    if (s === '') return null;
    const v = Number.parseFloat(s);
    return Number.isFinite(v) && v < 1e300 ? v : null;
  }

  bool(): boolean {
    const s = this.str();
    return s === '1' || s.toLowerCase() === 'true';
  }

  skip(n: number): void {
    this.index += n;
  }
}
