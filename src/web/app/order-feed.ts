/**
 * Order updates from GET /api/orders/stream (Server-Sent Events), instead of
 * polling the order lists. One feed per signed-in tab, whatever view is shown,
 * so the open orders and the recent orders are current when you switch to them.
 *
 * Nothing is lost across a drop: every event carries its sequence number, and
 * a reconnect sends the last one received as Last-Event-ID, so the gateway
 * replays what happened meanwhile, from the order history, before the live
 * events. The first connection starts from the newest sequence at sign-in
 * (GET /api/orders/events?limit=1), read before the views load their lists,
 * so nothing between the two is missed either; a replayed event older than a
 * row already shown is ignored by the views (they compare order versions).
 *
 * Read with fetch, not EventSource: the key goes in the X-API-Key header,
 * never in a URL (see api.ts). While the stream is down the views say their
 * data is stale; a stream that goes silent past two missed heartbeats is
 * treated as down (a proxy or a sleeping laptop can leave a dead socket open).
 */
import { api, isErrorBody, readEvents, reportUnauthorized, storedKey } from './api.js';
import type { OrderEvent } from './types.js';

/** connecting: before the first connection is up; stale: it was up and dropped, reconnecting; error: the gateway refuses it (a 4xx that retrying will not change). */
export type FeedState = 'connecting' | 'live' | 'stale' | 'error';

export interface FeedHandlers {
  event: (event: OrderEvent) => void;
  state: (state: FeedState, detail: string | null) => void;
}

/** The server sends a comment every 15 s: two missed ones and the stream is presumed dead. */
const SILENCE_MS = 35_000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 10_000;

/** Thrown for an answer that retrying cannot change (401, 403, 400...). */
class Refused extends Error {}

export class OrderFeed {
  private readonly stop = new AbortController();
  private lastSequence = 0;
  private state: FeedState = 'connecting';
  private detail: string | null = null;
  /** Whether lastSequence is a real starting point yet. */
  private known = false;

  constructor(private readonly handlers: FeedHandlers) {}

  /** Reads the newest sequence, then streams from it until close(). Resolves once that sequence is known (or could not be read). */
  async start(): Promise<void> {
    this.report('connecting', null);
    this.known = await this.readLatest();
    void this.run();
  }

  /** The newest sequence now; false if it could not be read (streaming from 0 would replay every event ever). */
  private async readLatest(): Promise<boolean> {
    try {
      const latest = await api<OrderEvent[]>('/api/orders/events?limit=1', { signal: this.stop.signal });
      this.lastSequence = latest.at(-1)?.sequence ?? 0;
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.stop.abort();
  }

  /** The sequence of the last event received: what the next reconnect resumes after. */
  get resumeFrom(): number {
    return this.lastSequence;
  }

  get current(): { state: FeedState; detail: string | null } {
    return { state: this.state, detail: this.detail };
  }

  private report(state: FeedState, detail: string | null): void {
    this.state = state;
    this.detail = detail;
    this.handlers.state(state, detail);
  }

  private async run(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.stop.signal.aborted) {
      try {
        if (!this.known && !(this.known = await this.readLatest())) throw new Error('the gateway cannot be reached; retrying');
        await this.connectOnce(() => {
          delay = FIRST_RETRY_MS;
        });
        if (this.stop.signal.aborted) return;
        this.report('stale', 'the order stream ended; reconnecting');
      } catch (err) {
        if (this.stop.signal.aborted) return;
        if (err instanceof Refused) return this.report('error', err.message);
        this.report('stale', err instanceof Error ? err.message : 'the order stream failed; reconnecting');
      }
      await new Promise((resolve) => window.setTimeout(resolve, delay));
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  /** One connection: resolves when the server ends the stream, throws when it fails. */
  private async connectOnce(onOpen: () => void): Promise<void> {
    const key = storedKey();
    if (key === null) throw new Refused('signed out');
    const connection = new AbortController();
    const abort = (): void => connection.abort();
    this.stop.signal.addEventListener('abort', abort);
    let silence = 0;
    const watchdog = (): void => {
      window.clearTimeout(silence);
      silence = window.setTimeout(() => connection.abort(), SILENCE_MS);
    };
    try {
      watchdog();
      const response = await fetch('/api/orders/stream', {
        headers: { 'x-api-key': key, 'x-client': 'dashboard', accept: 'text/event-stream', 'last-event-id': String(this.lastSequence) },
        signal: connection.signal,
        cache: 'no-store',
      });
      if (!response.ok || response.body === null) {
        const body: unknown = await response.json().catch(() => null);
        const message = isErrorBody(body) ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
        if (response.status === 401) reportUnauthorized();
        // 429 (too many streams, rate limit) passes with time; other refusals do not.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new Refused(message);
        throw new Error(message);
      }
      onOpen();
      this.report('live', null);
      await readEvents(
        response.body,
        (event, data, id) => {
          if (event !== 'order') return;
          const parsed = JSON.parse(data) as OrderEvent;
          // Resume after what was handled, never after something skipped.
          if (parsed.sequence <= this.lastSequence) return;
          this.lastSequence = id !== null && /^\d+$/.test(id) ? Number(id) : parsed.sequence;
          this.handlers.event(parsed);
        },
        watchdog,
      );
    } catch (err) {
      if (connection.signal.aborted && !this.stop.signal.aborted) throw new Error('no data from the order stream for too long; reconnecting');
      throw err;
    } finally {
      window.clearTimeout(silence);
      this.stop.signal.removeEventListener('abort', abort);
    }
  }
}
