/**
 * The PostgreSQL audit store (DATABASE_URL): the AuditStore contract on a
 * database that several gateways share. Same rows, same chains, same HMAC
 * key rules as SQLite (see ../sqlite/store.ts); what differs:
 *
 * - Writers of every gateway serialise on one advisory lock (transaction.ts),
 *   the counterpart of SQLite's write lock, with group commit; a row is
 *   durable at COMMIT (synchronous_commit on); a batch made only of
 *   { durability: 'relaxed' } writes commits with synchronous_commit off.
 * - changeMark() follows other gateways' commits through LISTEN/NOTIFY, with a
 *   poll of chain_heads while the listener is down (changes.ts).
 * - Every gateway must use the same HMAC key (AUDIT_HMAC_KEY): a gateway with
 *   another key finds the anchors sealed under a different key and refuses
 *   to write, rather than start a chain no one else can verify.
 * - Checkpoints of the shared heads go to a file per database in each
 *   gateway's DATA_DIR (checkpoints.ts): every gateway is a witness that
 *   `audit verify` holds the database to.
 *
 * An outage (server stopped, network cut) makes every call fail with
 * AUDIT_UNAVAILABLE, so no order is transmitted unrecorded; the pool opens
 * new connections when the server is back, with no restart.
 */
import { type Clock, isoNow, systemClock } from '../../clock.js';
import { AuditError } from '../../errors.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditVerifyResult, Fill, OrderDetail, OrderEvent } from '../../models.js';
import { anchorProblem } from '../anchors.js';
import { CHAINS, Sealer } from '../chain.js';
import { currentContext } from '../../logging.js';
import { type AuditKey, auditKeyPath, generateKeyFile, keyFromText, readKeyFile } from '../key.js';
import type {
  AuditAppend,
  AuditStore,
  ExposurePublication,
  FoldedClaim,
  IdempotencyBegin,
  IdempotencyClaimed,
  InstanceInfo,
  NewOrdersOutcome,
  NewOrdersRequest,
  OrderListFilter,
  OrderScope,
  OrderUpdated,
  OrderUpdateRows,
  OrderVersionInput,
  WriteOptions,
} from '../types.js';
import { countModifications, queryAuditLog } from './audit-reads.js';
import { ChainedRows } from './chained-rows.js';
import { ChangeListener, headsMark } from './changes.js';
import { accountModificationsSql, accountPlacementsSql } from '../account-messages.js';
import { normaliseTimestamp } from '../json.js';
import { type RateFacts, rateFactsOf, type RateFactsQuery, type RateFactsRow, rateFactsSql } from '../rate-facts.js';
import { listExposures, publishExposure } from './desk-exposure.js';
import { createPool, guardPg, type Pool, type PoolClient, withClient } from './connection.js';
import { migratePostgres } from './migrations.js';
import { OrderReads } from './order-reads.js';
import { beginKey, completeKey, holdsKey, peekKey, readState, releaseKey, takeOverKey } from './state.js';
import { endInstance, heartbeatInstance, registerInstance, reserveIds } from './instances.js';
import { GroupCommitter, writeTransaction } from './transaction.js';
import { anchorMissing, loadAnchors, type ReadCheckpoint, verifyPostgres } from './verify.js';
import { PgCheckpointer, pgCheckpointPath } from './checkpoints.js';
import { type Checkpoint, type HeadSnapshot, parseCheckpoint, readCheckpointLines, snapshotHeads } from '../checkpoints.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Where audit.key lives when AUDIT_HMAC_KEY is not set. */
  dataDir: string;
  hmacKey?: string | null;
  clock?: Clock;
  /** Connections in this process's pool (default 10). */
  poolMax?: number;
  /** Shown in pg_stat_activity (default 'ibkr-gateway'). */
  applicationName?: string;
  /** How often the LISTEN connection retries after losing the server (ms, default 1000). */
  listenRetryMs?: number;
  /** Checkpoints of the shared heads in DATA_DIR (checkpoints.ts): when, and where each is reported. */
  checkpointEvery?: { writes?: number; ms?: number };
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  onCheckpointError?: (err: unknown) => void;
}

/** The rate limits' and duplicate guard's read (rate-facts.ts); its parameters in this order: minute, day, to, key. */
const RATE_FACTS_SQL = rateFactsSql((name) => `$${['minute', 'day', 'to', 'key'].indexOf(name) + 1}`, 'audit_log');

/** Where the URL points, without its password, for logs and /health. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresAuditStore> {
  const pool = await createPool(options.url, { max: options.poolMax, applicationName: options.applicationName });
  try {
    const clock = options.clock ?? systemClock;
    const now = (): string => isoNow(clock);
    await guardPg('migrate the PostgreSQL store', () => withClient(pool, (client) => migratePostgres(client, now)));
    const sealed = (await loadAnchors(pool)).size > 0;
    const key = resolveKey(options, sealed);
    const sealer = key === null ? null : new Sealer(key);
    if (sealer !== null && !sealed) await writeTransaction(pool, {}, (client, heads) => anchorMissing(client, heads, sealer, now()));
    const block = await writeBlockFor(pool, options, sealer);
    const checkpoints = new PgCheckpointer(pgCheckpointPath(options.dataDir, options.url), await loadAnchors(pool), () => clock.now(), {
      ...options.checkpointEvery,
      onCheckpoint: options.onCheckpoint,
      onCheckpointError: options.onCheckpointError,
    });
    const listener = new ChangeListener(options.url, options.listenRetryMs);
    await listener.start();
    return new PostgresAuditStore(pool, listener, sealer, block, clock, describeDatabaseUrl(options.url), checkpoints);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err instanceof AuditError ? err : new AuditError(`Audit store (PostgreSQL) could not be opened: ${err instanceof Error ? err.message : String(err)}`, 'AUDIT_UNAVAILABLE', undefined, { cause: err });
  }
}

function resolveKey(options: PostgresStoreOptions, sealed: boolean): AuditKey | null {
  if (options.hmacKey !== undefined && options.hmacKey !== null && options.hmacKey.trim() !== '') return keyFromText(options.hmacKey, 'AUDIT_HMAC_KEY');
  const fromFile = readKeyFile(options.dataDir);
  if (fromFile !== null) return fromFile;
  return sealed ? null : generateKeyFile(options.dataDir);
}

async function writeBlockFor(pool: Pool, options: PostgresStoreOptions, sealer: Sealer | null): Promise<string | null> {
  if (sealer === null) return `the audit HMAC key is missing: set AUDIT_HMAC_KEY to the key the other gateways on this database use (or restore ${auditKeyPath(options.dataDir)})`;
  const anchors = await loadAnchors(pool);
  for (const chain of CHAINS) {
    const anchor = anchors.get(chain);
    if (anchor === undefined) return `chain_anchors has no record for ${chain}: the HMAC upgrade record was deleted; run ibkr-gateway audit verify`;
    const problem = anchorProblem(anchor, sealer);
    if (problem !== null) return `${chain}: ${problem} (every gateway on one database needs the same AUDIT_HMAC_KEY)`;
  }
  return null;
}

export class PostgresAuditStore implements AuditStore {
  readonly kind = 'postgres' as const;
  private readonly orders: OrderReads;
  private readonly committer: GroupCommitter;
  private ownCommits = 0;
  /** setState commits by this handle (stateMark): counted once committed, so a reader never caches an older value under the new mark. */
  private ownStateWrites = 0;
  private closed = false;
  /** The gateway instance registered through this handle (registerInstance), stamped on its claims. */
  private instanceId: string | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly listener: ChangeListener,
    private readonly sealer: Sealer | null,
    readonly writeBlock: string | null,
    private readonly clock: Clock,
    /** The database, without credentials. */
    readonly location: string,
    private readonly checkpoints: PgCheckpointer,
  ) {
    this.orders = new OrderReads(pool);
    this.committer = new GroupCommitter(pool);
  }

  /** The sealer, when writes are allowed. */
  private writable(): Sealer {
    if (this.writeBlock !== null) throw new AuditError(`the PostgreSQL store refuses writes: ${this.writeBlock}`, 'AUDIT_UNAVAILABLE', { writeBlock: this.writeBlock });
    if (this.sealer === null) throw new AuditError('the PostgreSQL store refuses writes: the audit HMAC key is not available', 'AUDIT_UNAVAILABLE');
    return this.sealer;
  }

  private async write<T>(what: string, options: WriteOptions | undefined, fn: (rows: ChainedRows, client: PoolClient, now: string) => Promise<T>): Promise<T> {
    return guardPg(what, async () => {
      const sealer = this.writable();
      const relaxed = options?.durability === 'relaxed';
      let left: { at: string; snapshot: HeadSnapshot } | null = null;
      // A batch holds the writes of several requests: the state_log rows each write makes (idempotency claims
      // and results) carry its own caller's correlation id, taken now, not that of whichever write came first.
      const correlationId = options?.correlationId ?? currentContext().correlationId;
      const result = await this.committer.submit(relaxed, async (client, heads) => {
        const now = isoNow(this.clock);
        const value = await fn(new ChainedRows(client, heads, sealer, now, correlationId), client, now);
        // The heads as this write left them: what its commit makes durable, for the checkpoint.
        left = { at: now, snapshot: snapshotHeads(heads) };
        return value;
      });
      this.ownCommits += 1;
      const committed = left as { at: string; snapshot: HeadSnapshot } | null;
      if (committed !== null) this.checkpoints.committed(committed.at, committed.snapshot, !relaxed, sealer);
      return result;
    });
  }

  append(entry: AuditAppend, options?: WriteOptions): Promise<AuditEntry> {
    return this.write('append an audit row', options, (rows) => rows.audit(entry));
  }

  recordOrder(entry: AuditAppend, version: OrderVersionInput, options?: WriteOptions): Promise<{ entry: AuditEntry; order: OrderDetail }> {
    return this.write('record an order', options, async (rows) => {
      const written = await rows.audit(entry);
      const order = await rows.orderVersion(version, written.id);
      return { entry: written, order };
    });
  }

  updateOrder(orderId: string, next: (current: OrderDetail | null) => OrderUpdateRows | null, options?: WriteOptions): Promise<OrderUpdated> {
    return this.write('record an order', options, async (rows): Promise<OrderUpdated> => {
      // Read under the write lock, after the jobs of this batch queued before it: the latest version as it stands now.
      const current = await rows.latestOrder(orderId);
      const update = next(current);
      if (update === null) return { order: current, written: false };
      const written = await rows.audit(update.entry);
      return { order: await rows.orderVersion(update.version, written.id), written: true };
    });
  }

  recordNewOrders(request: NewOrdersRequest, options?: WriteOptions): Promise<NewOrdersOutcome> {
    return this.write('record new orders', options, async (rows, client, now): Promise<NewOrdersOutcome> => {
      // The claim first: a key another request holds writes nothing and reserves no id.
      const elsewhere = request.claim === undefined ? null : await this.foldedClaim(request.claim, rows, client, now);
      if (elsewhere !== null) return { kind: 'claimed-elsewhere', claim: elsewhere };
      const { reserve } = request;
      const first = reserve === undefined ? 0 : await reserveIds(client, reserve.count, reserve.floor, () => this.orders.maxNumericOrderId().then(Number));
      const ids = reserve === undefined ? [] : Array.from({ length: reserve.count }, (_, i) => String(first + i));
      const orders: OrderDetail[] = [];
      for (const { entry, version } of request.rows(ids)) orders.push(await rows.orderVersion(version, (await rows.audit(entry)).id));
      return { kind: 'recorded', ids, orders };
    });
  }

  /** Inside the write: claims the key (or checks it is still held as taken); null when this request may go on, else how the key stands. */
  private async foldedClaim(claim: FoldedClaim, rows: ChainedRows, client: PoolClient, now: string): Promise<IdempotencyClaimed | null> {
    const { scope, key, heldSince } = claim;
    if (heldSince !== undefined) {
      if (await holdsKey(client, scope, key, this.instanceId, heldSince)) return null;
      // Taken by another gateway meanwhile (or settled and released): this request no longer owns it.
      return (await peekKey(client, claim)) ?? { kind: 'in-progress' };
    }
    const begun = await beginKey(client, rows, now, { ...claim, instanceId: this.instanceId });
    return begun.kind === 'new' ? null : begun;
  }

  getOrder(orderId: string): Promise<OrderDetail | null> {
    return guardPg('read an order', () => this.orders.get(orderId));
  }

  getOrderVersions(orderId: string): Promise<OrderDetail[]> {
    return guardPg('read order versions', () => this.orders.versions(orderId));
  }

  listOrders(query: OrderListFilter, scope?: OrderScope): Promise<OrderDetail[]> {
    return guardPg('list orders', () => this.orders.list(query, scope));
  }

  openOrders(scope?: OrderScope): Promise<OrderDetail[]> {
    return guardPg('list open orders', () => this.orders.openOrders(scope));
  }

  heldOrders(scope?: OrderScope): Promise<OrderDetail[]> {
    return guardPg('list orders held for approval', () => this.orders.heldOrders(scope));
  }

  countPlaced(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    return guardPg('count placed orders', () => this.orders.countPlaced(fromIso, fromInclusive, toIso));
  }

  countModifications(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    return guardPg('count order modifications', () => countModifications(this.pool, fromIso, fromInclusive, toIso));
  }

  rateFacts(q: RateFactsQuery): Promise<RateFacts> {
    return guardPg('read the rate limits and duplicate guard facts', async () => {
      const values = [normaliseTimestamp(q.minuteFromIso), normaliseTimestamp(q.dayFromIso), normaliseTimestamp(q.toIso), q.riskKey];
      return rateFactsOf((await this.pool.query<RateFactsRow>(RATE_FACTS_SQL, values)).rows[0]);
    });
  }

  countAccountMessages(accountId: string, fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    return guardPg("count an account's order messages", async () => {
      const q = (n: number): string => `$${n}`;
      const count = async (sql: string, from: string, to: string): Promise<number> => Number((await this.pool.query<{ n: number }>(sql, [accountId, from, to])).rows[0]?.n ?? 0);
      const [placed, modified] = await Promise.all([
        count(accountPlacementsSql(fromInclusive, q), fromIso, toIso),
        count(accountModificationsSql(fromInclusive, q), normaliseTimestamp(fromIso), normaliseTimestamp(toIso)),
      ]);
      return placed + modified;
    });
  }

  lastPlacedWithKey(riskKey: string, toIso: string): Promise<string | null> {
    return guardPg('find the last identical order', () => this.orders.lastPlacedWithKey(riskKey, toIso));
  }

  fillsSince(accountId: string, fromIso: string, afterRowId: number): Promise<{ fills: Fill[]; lastRowId: number }> {
    return guardPg("read the day's fills", () => this.orders.fillsSince(accountId, fromIso, afterRowId));
  }

  async changeMark(): Promise<string> {
    return `${await this.othersMark()}:${this.ownCommits}`;
  }

  async stateMark(): Promise<string> {
    return `${await this.othersMark()}:${this.ownStateWrites}`;
  }

  /** What other gateways committed, as heard (LISTEN/NOTIFY) or, while the listener is down, read from the heads. */
  private async othersMark(): Promise<string> {
    const heard = this.listener.mark();
    return heard ?? (await guardPg('read the change mark', () => headsMark(this.pool)));
  }

  maxNumericOrderId(): Promise<number> {
    return guardPg('read the highest order id', () => this.orders.maxNumericOrderId());
  }

  findOrderByClientOrderId(accountId: string, clientOrderId: string): Promise<OrderDetail | null> {
    return guardPg('find an order by clientOrderId', () => this.orders.findByClientOrderId(accountId, clientOrderId));
  }

  orderEvents(afterSequence: number | undefined, limit: number): Promise<OrderEvent[]> {
    return guardPg('read order events', () => this.orders.events(afterSequence, limit));
  }

  lastOrderSequence(): Promise<number> {
    return guardPg('read the last order event', () => this.orders.lastSequence());
  }

  query(query: AuditQuery): Promise<AuditPage> {
    return guardPg('query the audit log', () => queryAuditLog(this.pool, query));
  }

  verify(): Promise<AuditVerifyResult> {
    return guardPg('verify the audit log', async () => {
      // Read before the snapshot: every row a checkpoint names was committed before it was written.
      const checkpoints = readCheckpointLines(this.checkpoints.path)
        .map((line) => ({ line, parsed: parseCheckpoint(line, this.sealer) }))
        .filter((c): c is ReadCheckpoint => c.parsed !== null);
      const last = checkpoints.at(-1)?.parsed;
      const client = await this.pool.connect();
      try {
        const check = await verifyPostgres(client, this.sealer, checkpoints);
        return { ...check, checkpoints: { count: checkpoints.length, lastAt: last === undefined || typeof last === 'string' ? null : last.at } };
      } finally {
        client.release();
      }
    });
  }

  beginIdempotent(scope: string, key: string, owner: string, requestHash: string, options?: WriteOptions): Promise<IdempotencyBegin> {
    return this.write('claim an idempotency key', options, (rows, client, now) => beginKey(client, rows, now, { scope, key, owner, requestHash, instanceId: this.instanceId }));
  }

  peekIdempotent(scope: string, key: string, owner: string, requestHash: string): Promise<IdempotencyClaimed | null> {
    return guardPg('look up an idempotency key', () => peekKey(this.pool, { scope, key, owner, requestHash }));
  }

  takeOverIdempotent(scope: string, key: string, seen: { since: string; instanceId: string | null }, options?: WriteOptions): Promise<string | null> {
    return this.write('take over an idempotency key', options, (rows, client, now) => takeOverKey(client, rows, now, { scope, key, seen, instanceId: this.instanceId }));
  }

  reserveOrderIds(count: number, floor: number): Promise<number> {
    // Relaxed: an id is used only in a row committed synchronously after this one, which flushes the WAL through it.
    return this.write('reserve order ids', { durability: 'relaxed' }, (_rows, client) => reserveIds(client, count, floor, () => this.orders.maxNumericOrderId().then(Number)));
  }

  async registerInstance(info: InstanceInfo): Promise<string> {
    this.instanceId = await guardPg('register the gateway instance', () => registerInstance(this.pool, info));
    return this.instanceId;
  }

  async heartbeatInstance(): Promise<void> {
    const id = this.instanceId;
    if (id !== null) await guardPg('renew the gateway instance lease', () => heartbeatInstance(this.pool, id));
  }

  async endInstance(): Promise<void> {
    const id = this.instanceId;
    if (id !== null) await guardPg('end the gateway instance', () => endInstance(this.pool, id));
  }

  async completeIdempotent(scope: string, key: string, result: unknown, options?: WriteOptions): Promise<void> {
    await this.write('store an idempotent result', options, (rows, client, now) => completeKey(client, rows, now, scope, key, result));
  }

  completeIdempotentFrom<T>(scope: string, key: string, orderIds: readonly string[], result: (orders: ReadonlyArray<OrderDetail | null>) => T, options?: WriteOptions): Promise<T> {
    return this.write('store an idempotent result', options, async (rows, client, now) => {
      const orders: Array<OrderDetail | null> = [];
      for (const id of orderIds) orders.push(await rows.latestOrder(id));
      const value = result(orders);
      await completeKey(client, rows, now, scope, key, value);
      return value;
    });
  }

  async releaseIdempotent(scope: string, key: string, options?: WriteOptions): Promise<void> {
    await this.write('release an idempotency key', options, (rows, client) => releaseKey(client, rows, scope, key));
  }

  /**
   * Outside the chain writers' advisory lock: the row is not chained, and the
   * upsert on its primary key is atomic by itself. Refused like every write
   * when the store is write-blocked.
   */
  publishExposure(publication: ExposurePublication): Promise<void> {
    return guardPg('publish exposure', async () => {
      if (this.writeBlock !== null) throw new AuditError(`the PostgreSQL store refuses writes: ${this.writeBlock}`, 'AUDIT_UNAVAILABLE', { writeBlock: this.writeBlock });
      // Always durable: one statement, one round trip, cheaper than the BEGIN and SET LOCAL a relaxed commit would need.
      await publishExposure(this.pool, publication);
      this.ownCommits += 1;
    });
  }

  exposures(): Promise<ExposurePublication[]> {
    return guardPg('read published exposure', () => listExposures(this.pool));
  }

  getState<T>(name: string): Promise<T | null> {
    return guardPg('read state', async () => {
      if (this.sealer === null) throw new AuditError(`cannot read ${name}: the audit HMAC key is not available`, 'AUDIT_UNAVAILABLE');
      return readState<T>(this.pool, name, this.sealer);
    });
  }

  async setState(name: string, value: unknown, options?: WriteOptions): Promise<void> {
    await this.write('write state', options, (rows) => rows.state({ kind: 'state', name, change: 'set', value }));
    this.ownStateWrites += 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    await this.listener.close();
    await this.pool.end();
    // The last durable heads, if not yet written (relaxed writes after them wait for the next checkpoint).
    if (this.sealer !== null && this.writeBlock === null) this.checkpoints.write(this.sealer);
  }
}
