/**
 * Knowing, without a query, that another gateway committed something: one
 * connection per store LISTENs on the channel every write transaction
 * NOTIFYs (transaction.ts), and counts what arrives. The kill switch and the
 * open-order count re-read the store only when the mark moves, so a switch
 * engaged on one gateway stops the next order on every other one as soon as
 * the notification lands (milliseconds; the test asks for under a second).
 *
 * Poll fallback: while the listening connection is down (database restart,
 * network cut) the mark is read from chain_heads on every call (every write
 * moves a head), so nothing is missed; the listener reconnects by itself,
 * every `retryMs`.
 */
import type { Client } from 'pg';
import { loadPg, type Queryable } from './connection.js';
import { CHANGE_CHANNEL } from './transaction.js';

export class ChangeListener {
  private client: Client | null = null;
  private listening = false;
  private received = 0;
  private generation = 0;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly retryMs = 1000,
  ) {}

  /** Connects and LISTENs; on failure keeps retrying in the background (the poll fallback covers the gap). */
  async start(): Promise<void> {
    if (this.closed) return;
    const pg = await loadPg();
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000, application_name: 'ibkr-gateway listener' });
    const lost = (): void => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = null;
      client.end().catch(() => undefined);
      this.schedule();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => {
      this.received += 1;
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (this.client !== client) return;
      // Anything committed while we were not listening is covered: a new generation is a new mark.
      this.generation += 1;
      this.listening = true;
    } catch {
      lost();
    }
  }

  private schedule(): void {
    if (this.closed || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.start();
    }, this.retryMs);
    this.retry.unref();
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** A mark that moves with every notification; null while not listening (the caller polls). */
  mark(): string | null {
    return this.listening ? `${this.generation}.${this.received}` : null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }
}

/** The poll: the heads' positions, which every committed write moves. */
export async function headsMark(db: Queryable): Promise<string> {
  const r = await db.query<{ m: string | null }>("SELECT string_agg(chain || ':' || last_id, ',' ORDER BY chain) AS m FROM chain_heads");
  return `poll.${r.rows[0]?.m ?? ''}`;
}
