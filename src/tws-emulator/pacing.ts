/**
 * IBKR's limits, enforced as IBKR enforces them so a client tested here
 * learns to respect them before it meets a real gateway. Both limiters run on
 * wall time (injectable for unit tests): pacing protects a real process in
 * real time, whatever the simulated market clock says.
 */

export const MAX_MESSAGES_PER_SECOND = 50;

export type RateVerdict = 'ok' | 'exceeded' | 'disconnect';

/**
 * Incoming messages per client over a sliding second. Above 50 a message is
 * refused with error 100; a client that keeps going to twice the limit in
 * the same second is disconnected, as a gateway drops a runaway client.
 */
export class MessageRateLimiter {
  private readonly times: number[] = [];

  constructor(
    private readonly limit = MAX_MESSAGES_PER_SECOND,
    private readonly now: () => number = Date.now,
  ) {}

  hit(): { verdict: RateVerdict; count: number } {
    const t = this.now();
    while (this.times.length > 0 && (this.times[0] ?? 0) <= t - 1000) this.times.shift();
    this.times.push(t);
    const count = this.times.length;
    if (count > this.limit * 2) return { verdict: 'disconnect', count };
    if (count > this.limit) return { verdict: 'exceeded', count };
    return { verdict: 'ok', count };
  }
}

export interface HistoricalKey {
  /** Everything that makes two requests identical (contract, end, duration, bar size, what to show, RTH). */
  identity: string;
  /** Contract, exchange and tick type: the "same contract" of the 2-second rule. */
  contract: string;
}

/**
 * Historical data pacing (IBKR "pacing violations"): no identical request
 * within 15 s, no 6 or more requests for the same contract, exchange and
 * tick type within 2 s, no more than 60 requests in any 10 minutes.
 * Shared by every client, as IBKR counts per account/session.
 */
export class HistoricalPacer {
  private readonly log: { t: number; key: HistoricalKey }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Null when the request may go; otherwise why it is a pacing violation. */
  check(key: HistoricalKey): string | null {
    const t = this.now();
    while (this.log.length > 0 && (this.log[0]?.t ?? 0) <= t - 600_000) this.log.shift();
    if (this.log.some((e) => e.key.identity === key.identity && e.t > t - 15_000)) return 'identical request within 15 seconds';
    if (this.log.filter((e) => e.key.contract === key.contract && e.t > t - 2_000).length >= 5) return 'six or more requests for the same contract within 2 seconds';
    if (this.log.length >= 60) return 'more than 60 requests within 10 minutes';
    this.log.push({ t, key });
    return null;
  }
}
