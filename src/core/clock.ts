/**
 * An injectable clock. Production uses the system clock; tests and the
 * simulator's deterministic runs use a ManualClock and move time themselves,
 * so no test sleeps to wait for the market to move.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `listener` whenever time is moved by hand (ManualClock); a no-op for the system clock. */
  onAdvance(listener: (nowMs: number) => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  onAdvance: () => () => undefined,
};

export class ManualClock implements Clock {
  private current: number;
  private readonly listeners = new Set<(nowMs: number) => void>();

  constructor(start: number | string | Date = Date.UTC(2026, 0, 5, 15, 0, 0)) {
    this.current = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.current;
  }

  set(to: number | string | Date): void {
    const next = typeof to === 'number' ? to : new Date(to).getTime();
    if (next < this.current) throw new Error('ManualClock cannot go backwards');
    this.current = next;
    for (const l of this.listeners) l(this.current);
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }

  onAdvance(listener: (nowMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const isoNow = (clock: Clock = systemClock): string => new Date(clock.now()).toISOString();
