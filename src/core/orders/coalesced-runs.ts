/**
 * One run at a time per key, and one more after it for everything asked
 * meanwhile: each request is followed by a run that starts after it was made,
 * while a burst of N requests costs two runs, not N. The order path uses it
 * for the daily loss check after fills: a check reads the marked P&L and the
 * day's realised fills, and a check that starts after the last fill of a
 * burst sees every fill of it.
 */
export class CoalescedRuns {
  private readonly running = new Map<string, { again: boolean }>();
  private stopped = false;

  /** `onError`: what a run threw (the next request still runs). */
  constructor(
    private readonly run: (key: string) => Promise<void>,
    private readonly onError: (err: unknown, key: string) => void,
  ) {}

  /** Asks for a run for `key`; returns at once. */
  request(key: string): void {
    const current = this.running.get(key);
    if (current) {
      current.again = true;
      return;
    }
    const state = { again: false };
    this.running.set(key, state);
    void (async () => {
      try {
        do {
          state.again = false;
          try {
            await this.run(key);
          } catch (err) {
            this.onError(err, key);
          }
        } while (state.again && !this.stopped);
      } finally {
        this.running.delete(key);
      }
    })();
  }

  /** No further runs are started (a run in progress finishes). */
  stop(): void {
    this.stopped = true;
  }
}
