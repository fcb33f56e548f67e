/**
 * Deterministic randomness for the simulated market.
 *
 * Every random number the market uses is a pure function of its coordinates
 * (seed, instrument, what, index), never drawn from a stateful generator: a
 * price at 10:31:07 must come out the same whether it is asked for by a quote,
 * a bar, the matching engine, or a second run with the same SIM_SEED.
 */

/** FNV-1a over a string, for turning instrument keys into 32-bit numbers once. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: a cheap avalanche so neighbouring indices give unrelated values. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of up to four integer coordinates. Indices may exceed 2^32 (seconds since 1970 do not). */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = fmix(a ^ 0x9e3779b9);
  h = fmix(h ^ Math.imul(b | 0, 0x27d4eb2f));
  h = fmix(h ^ Math.imul(c | 0, 0x165667b1));
  // d can be a large integer (e.g. a second index); fold both halves in.
  const lo = d % 0x100000000;
  const hi = Math.floor(d / 0x100000000);
  h = fmix(h ^ (lo | 0));
  h = fmix(h ^ Math.imul(hi | 0, 0x85ebca77));
  return h;
}

/** Uniform in (0, 1), never exactly 0 so logarithms stay finite. */
export function uniform(a: number, b: number, c: number, d: number): number {
  return (hash4(a, b, c, d) + 0.5) / 4294967296;
}

/** Standard normal from two hashed uniforms (Box-Muller). */
export function normal(a: number, b: number, c: number, d: number): number {
  const u1 = uniform(a, b, c, d);
  const u2 = uniform(a ^ 0x5bd1e995, b, c, d);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
