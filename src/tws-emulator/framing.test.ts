/** Framing and handshake negotiation, byte by byte. */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FieldReader, FrameError, FrameReader } from './framing.js';
import { negotiateVersion } from './handshake.js';

const handshake = (versions: string): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(versions.length, 0);
  return Buffer.concat([Buffer.from('API\0', 'latin1'), len, Buffer.from(versions)]);
};

describe('FrameReader', () => {
  it('reads the handshake, then length-prefixed NUL-separated messages', () => {
    const r = new FrameReader();
    const frames = r.push(Buffer.concat([handshake('v100..193'), encodeFrame([71, 2, 5, '']), encodeFrame([49, 1])]));
    expect(frames).toEqual([
      { kind: 'handshake', versions: 'v100..193' },
      { kind: 'message', fields: ['71', '2', '5', ''] },
      { kind: 'message', fields: ['49', '1'] },
    ]);
  });

  it('reassembles frames split at every byte', () => {
    const r = new FrameReader();
    const bytes = Buffer.concat([handshake('v100..178'), encodeFrame([1, 11, 7, 'AAPL', 'é'])]);
    const frames = [...bytes].flatMap((b) => r.push(Buffer.from([b])));
    expect(frames).toEqual([
      { kind: 'handshake', versions: 'v100..178' },
      { kind: 'message', fields: ['1', '11', '7', 'AAPL', 'é'] },
    ]);
  });

  it('rejects a client that does not speak v100+', () => {
    expect(() => new FrameReader().push(Buffer.from(['63', '1', ''].join('\0')))).toThrow(FrameError);
  });

  it('writes null/undefined as empty fields, booleans as 1/0, and keeps NUL out of values', () => {
    const frame = encodeFrame([null, undefined, true, false, 1.5, 'a\0b']);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4).toString().split('\0')).toEqual(['', '', '1', '0', '1.5', 'a b', '']);
  });
});

describe('FieldReader', () => {
  it('treats missing and MAX values as unset', () => {
    const r = new FieldReader(['', '2147483647', '1.7976931348623157E308', '3']);
    expect(r.num()).toBeNull();
    expect(r.intOrNull()).toBeNull();
    expect(r.num()).toBeNull();
    expect(r.int()).toBe(3);
    expect(r.str()).toBe('');
  });
});

describe('negotiateVersion', () => {
  it('speaks the highest version both sides know, never below 176', () => {
    expect(negotiateVersion('v100..193', 178)).toBe(178);
    expect(negotiateVersion('v157..178 +PACEAPI', 178)).toBe(178);
    expect(negotiateVersion('v100..177', 178)).toBe(177);
    expect(negotiateVersion('v100..170', 178)).toBeNull();
    expect(negotiateVersion('garbage', 178)).toBeNull();
  });
});
