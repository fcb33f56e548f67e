/**
 * Pacing under IBKR's limits, by queueing rather than failing:
 *
 * - MessagePacer: at most `perSecond` messages in any rolling second (IBKR
 *   disconnects a client above 50/s; we stay below with a margin).
 * - HistoricalPacer: IBKR's historical data rules - no identical request within
 *   15 s, fewer than 6 requests for the same contract/exchange/tick type within
 *   2 s, at most 60 requests in any 10 minutes. A request that would break one
 *   waits until it would not.
 *
 * Both run on wall time: pacing protects a real gateway in real time, whatever
 * a simulated market clock says.
 */

type Now = () => number;

interface Waiter {
  run: () => void;
  cancel: (reason: Error) => void;
}

export class MessagePacer {
  private readonly sent: number[] = [];
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly perSecond = 45,
    private readonly now: Now = Date.now,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Runs `send` now or as soon as the rate allows; resolves once it ran, rejects if dropped first. */
  send(send: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        run: () => {
          try {
            send();
            resolve();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
        cancel: reject,
      });
      this.drain();
    });
  }

  /** Drops everything not yet sent (the socket went away: those messages were never transmitted). */
  dropQueued(reason: Error): void {
    const dropped = this.queue.splice(0);
    for (const w of dropped) w.cancel(reason);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private drain(): void {
    if (this.timer) return;
    for (;;) {
      const t = this.now();
      while (this.sent.length > 0 && (this.sent[0] ?? 0) <= t - 1000) this.sent.shift();
      if (this.queue.length === 0) return;
      if (this.sent.length >= this.perSecond) {
        const wait = Math.max(1, (this.sent[0] ?? t) + 1000 - t);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.drain();
        }, wait);
        this.timer.unref();
        return;
      }
      const next = this.queue.shift();
      this.sent.push(t);
      next?.run();
    }
  }
}

export interface HistoricalKey {
  /** Everything that makes two requests identical. */
  identity: string;
  /** Contract, exchange and tick type: the "same contract" of the 2-second rule. */
  contract: string;
}

export const HISTORICAL_RULES = { identicalMs: 15_000, burstWindowMs: 2_000, burstMax: 5, windowMs: 600_000, windowMax: 60 } as const;

export class HistoricalPacer {
  private readonly log: { t: number; key: HistoricalKey }[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly now: Now = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms).unref()),
    /** Margin added to every wait, so wall-clock jitter between us and the gateway never lands on the edge. */
    private readonly marginMs = 50,
  ) {}

  /** How long `key` must wait now (0 = may go). */
  delayFor(key: HistoricalKey): number {
    const t = this.now();
    while (this.log.length > 0 && (this.log[0]?.t ?? 0) <= t - HISTORICAL_RULES.windowMs) this.log.shift();
    let wait = 0;
    for (const e of this.log) {
      if (e.key.identity === key.identity && e.t > t - HISTORICAL_RULES.identicalMs) wait = Math.max(wait, e.t + HISTORICAL_RULES.identicalMs - t);
    }
    const same = this.log.filter((e) => e.key.contract === key.contract && e.t > t - HISTORICAL_RULES.burstWindowMs);
    if (same.length >= HISTORICAL_RULES.burstMax) {
      const oldest = same[same.length - HISTORICAL_RULES.burstMax];
      if (oldest) wait = Math.max(wait, oldest.t + HISTORICAL_RULES.burstWindowMs - t);
    }
    if (this.log.length >= HISTORICAL_RULES.windowMax) {
      const oldest = this.log[this.log.length - HISTORICAL_RULES.windowMax];
      if (oldest) wait = Math.max(wait, oldest.t + HISTORICAL_RULES.windowMs - t);
    }
    return wait > 0 ? wait + this.marginMs : 0;
  }

  /**
   * Waits its turn (requests go one after another, in order), records the request, then resolves.
   * Aborted by `signal`, it resolves without recording: the caller must check the signal and not send.
   */
  acquire(key: HistoricalKey, signal?: AbortSignal): Promise<void> {
    const turn = this.chain.then(async () => {
      // A request abandoned while it queued is never sent, so it takes no place in IBKR's windows.
      for (let wait = this.delayFor(key); wait > 0 && !signal?.aborted; wait = this.delayFor(key)) await this.sleep(wait);
      if (signal?.aborted) return;
      this.log.push({ t: this.now(), key });
    });
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  /** How many requests the 10-minute window holds now (for /health). */
  recent(): number {
    const t = this.now();
    return this.log.filter((e) => e.t > t - HISTORICAL_RULES.windowMs).length;
  }
}
