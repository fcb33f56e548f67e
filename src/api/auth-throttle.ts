/**
 * Back-off for failed authentication, per client address.
 *
 * A wrong API key is a guess. The first FREE_FAILURES guesses from an address
 * cost nothing more than a 401; after that each further wrong key blocks the
 * address for a doubling time (1 s, 2 s, 4 s ... at most 5 minutes). While it
 * is blocked, every request from it that presents a key is answered 429 with
 * Retry-After WITHOUT looking at the key, the right one included: if a right
 * key were let through, the block would still tell a guesser "right" (200)
 * from "wrong" (429) at full speed and would protect nothing. A right key
 * after the block clears the address's record; an address quiet for
 * FORGET_AFTER_MS starts afresh. Requests without a key (the dashboard's
 * files, /health's status) are never blocked: they guess nothing.
 *
 * The address is the socket's peer address (no proxy headers are trusted):
 * behind a reverse proxy every client shares the proxy's address.
 */

export interface AuthThrottleOptions {
  /** Wrong keys from one address before the first block. */
  freeFailures: number;
  /** The first block; each later one doubles. */
  baseBlockMs: number;
  maxBlockMs: number;
  /** An address without a failure for this long is forgotten. */
  forgetAfterMs: number;
  /** Addresses remembered at most (the oldest are forgotten first), so a flood of addresses cannot exhaust memory. */
  maxAddresses: number;
  now: () => number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = {
  freeFailures: 10,
  baseBlockMs: 1000,
  maxBlockMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxAddresses: 10_000,
  now: () => Date.now(),
};

interface AddressRecord {
  failures: number;
  blocks: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export class AuthThrottle {
  private readonly options: AuthThrottleOptions;
  private readonly records = new Map<string, AddressRecord>();

  constructor(options: Partial<AuthThrottleOptions> = {}) {
    this.options = { ...DEFAULT_AUTH_THROTTLE, ...options };
  }

  /** Milliseconds until `address` may try again; 0 when it is not blocked. */
  blockedFor(address: string): number {
    const record = this.records.get(address);
    if (record === undefined) return 0;
    return Math.max(0, record.blockedUntil - this.options.now());
  }

  /** Counts a wrong key; returns how long the address is now blocked (0: not blocked). */
  recordFailure(address: string): number {
    const now = this.options.now();
    let record = this.records.get(address);
    if (record !== undefined && now - record.lastFailureAt > this.options.forgetAfterMs) record = undefined;
    record ??= { failures: 0, blocks: 0, lastFailureAt: now, blockedUntil: 0 };
    record.failures += 1;
    record.lastFailureAt = now;
    if (record.failures > this.options.freeFailures) {
      const block = Math.min(this.options.baseBlockMs * 2 ** record.blocks, this.options.maxBlockMs);
      record.blocks += 1;
      record.blockedUntil = now + block;
    }
    // Re-inserting keeps the map in least-recently-failed order, so the eviction below drops the stalest.
    this.records.delete(address);
    this.records.set(address, record);
    while (this.records.size > this.options.maxAddresses) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
    return Math.max(0, record.blockedUntil - now);
  }

  /** A right key: the address's failures are forgiven. */
  recordSuccess(address: string): void {
    this.records.delete(address);
  }

  /** Addresses currently remembered (for tests and metrics). */
  get size(): number {
    return this.records.size;
  }
}
