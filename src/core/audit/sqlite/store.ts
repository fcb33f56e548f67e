/**
 * The SQLite audit store (data/audit.db).
 *
 * Durability: by default (synchronous 'FULL') a row is on disk when
 * append()'s promise resolves: the connection commits at synchronous=NORMAL
 * and the WAL is then fdatasync'd on libuv's thread pool (wal-sync.ts), so
 * the event loop never waits for the disk; option 'NORMAL' skips the sync
 * (survives a process crash but not a power cut). Writes are group-committed
 * (group-commit.ts): those asked for in one event-loop turn share one
 * transaction, and commits made while a sync runs share the next sync. A
 * write with { durability: 'relaxed' } resolves at its COMMIT without
 * waiting for a sync, for writes whose loss a power cut could not make unsafe (an order's later status versions,
 * which reconciliation with the broker restores; idempotency bookkeeping that
 * the next durable write flushes with it, since WAL frames reach the disk in
 * order). The row written before an order is transmitted is always durable.
 *
 * Concurrency: every batch is one BEGIN IMMEDIATE transaction, which takes
 * the database's write lock before reading the chain head. Within a process
 * batches run one at a time (better-sqlite3 is synchronous); across processes
 * the lock (with a busy timeout) serialises writers, so a chain never forks
 * and an idempotency key is claimed once.
 *
 * Chains: audit_log and order_history each have their own hash chain (one
 * would make every audit row embed the exact order_history row written with
 * it; two let verify() check each table on its own terms, at its own row id),
 * and state_log chains the kill switch and idempotency-key changes. Each
 * order_history row records audit_id, the audit row written in the same
 * transaction, inside its hash. Hashes are HMACs under a key outside the
 * database, and signed checkpoints of the heads go to a file beside it
 * (chain.ts, key.ts, checkpoints.ts; README "Audit log" says what that stops).
 *
 * Tamper found at open (the file no longer holds what the last checkpoint
 * recorded, or its anchors are not this key's): reads and verify() work,
 * every write fails with AUDIT_UNAVAILABLE, so nothing is transmitted on top
 * of a rewritten log and the evidence is not buried under new rows.
 *
 * Failures: anything SQLite throws leaves as AuditError (AUDIT_UNAVAILABLE);
 * the order path treats that as "do not transmit".
 */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { type Clock, isoNow, systemClock } from '../../clock.js';
import { currentContext } from '../../logging.js';
import { AuditError } from '../../errors.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditVerifyResult, Fill, OrderDetail, OrderEvent } from '../../models.js';
import { anchorProblem, type StoredAnchor } from '../anchors.js';
import { ChainAnchors } from './anchors.js';
import { AuditLogTable } from './audit-log.js';
import { CHAINS, type ChainCheck, type ChainName, type Sealer } from '../chain.js';
import { ChainHeads, verifyChain } from './chain-heads.js';
import { sqliteChainRows } from './chain-rows.js';
import {
  appendCheckpoint,
  checkAgainstDatabase,
  type Checkpoint,
  type CheckpointLine,
  checkpointPath,
  type HeadSnapshot,
  parseCheckpoint,
  readCheckpointLines,
  signCheckpoint,
  snapshotHeads,
} from '../checkpoints.js';
import { accountModificationsSql, accountPlacementsSql } from '../account-messages.js';
import { normaliseTimestamp } from '../json.js';
import { type RateFacts, rateFactsOf, type RateFactsQuery, type RateFactsRow, rateFactsSql } from '../rate-facts.js';
import { DataVersion } from './data-version.js';
import { DeskExposureTable } from './desk-exposure.js';
import { guard, toAuditError } from './guard.js';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import { IdempotencyKeys } from './idempotency.js';
import { InstanceTables } from './instances.js';
import { openAuditDatabase, type OpenOptions } from './open.js';
import { OrderEventsTable } from './order-events.js';
import { OrderHistoryTable } from './order-history.js';
import { toAuditEntry } from '../rows.js';
import { StateLog } from './state-log.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSync } from './wal-sync.js';
import type {
  AuditAppend,
  AuditStore,
  ClaimHolder,
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

const RELAXED: WriteOptions = { durability: 'relaxed' };

/**
 * WAL frames between checkpoint rounds. At 50 orders/s (about 51 frames an order) a round every
 * 4 s, as often as the 1,000 commits counted before; the next commit after a complete round syncs
 * the WAL header on the event loop, so rounds are not made more frequent than that.
 */
const WAL_CHECKPOINT_FRAMES = 10_000;

/** A read: synchronous in SQLite, answered as a settled promise (errors as AuditError). */
function read<T>(what: string, fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(toAuditError(err, what));
  }
}

export interface AuditStoreOptions extends OpenOptions {
  /** A checkpoint is written after a durable write once this many writes (default 500) or ms (default 60,000) have passed, and at close. */
  checkpointEvery?: { writes?: number; ms?: number };
  /** Each checkpoint as written, for the log (a copy outside DATA_DIR). */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  /** A checkpoint that could not be written (the row itself was committed; the next write retries). */
  onCheckpointError?: (err: unknown) => void;
  /**
   * The WAL is copied into audit.db by a worker thread once it holds this many frames (pages: default
   * 10,000, about 40 MB; wal-checkpointer.ts), whatever the size of each commit.
   */
  walCheckpointAtFrames?: number;
}

export interface StoreWriteStats extends GroupCommitStats {
  walSyncs: number;
  walCheckpoints: number;
  /** Checkpoint rounds the worker could not finish, so this connection copied the rest on its own thread. */
  walCatchUps: number;
  /** Checkpoint rounds the worker finished with a last pass while this connection's writes were held. */
  walHeldPasses: number;
}

export const AUDIT_DB_FILE = 'audit.db';
export const auditDbPath = (dataDir: string): string => join(dataDir, AUDIT_DB_FILE);

/** The store as returned by openAuditStore: the AuditStore contract plus where it lives. */
export interface SqliteAuditStore extends AuditStore {
  readonly path: string;
  /** Why writes are refused (tamper or key problem found at open), or null. */
  readonly writeBlock: string | null;
  /** Batches and writes committed so far (group commit), WAL syncs and worker checkpoints, for tests and the bench. */
  readonly groupStats: StoreWriteStats;
  /** close() without waiting: commits what is queued and closes (exit handlers). */
  closeNow(): void;
}

export function openAuditStore(options: AuditStoreOptions): SqliteAuditStore {
  return guard('open the audit database', () => {
    const opened = openAuditDatabase(options, auditDbPath(options.dataDir));
    try {
      return new Store(opened.db, opened.path, opened.sealer, opened.writeBlock, options);
    } catch (err) {
      opened.db.close();
      throw err;
    }
  });
}

class Store implements SqliteAuditStore {
  readonly kind = 'sqlite';
  private readonly group: GroupCommit;
  /** Makes durable commits durable (synchronous 'FULL'); null at 'NORMAL'. */
  private readonly walSync: WalSync | null;
  private readonly walCheckpoints: WalCheckpointer;
  /** The heads as of the durable batch just committed, durable once its sync returns. */
  private committedHeads: { at: string; snapshot: HeadSnapshot } | null = null;
  private readonly heads: ChainHeads;
  private readonly anchors: ChainAnchors;
  private readonly log: AuditLogTable;
  private readonly history: OrderHistoryTable;
  private readonly events: OrderEventsTable;
  private readonly stateLog: StateLog;
  private readonly keys: IdempotencyKeys;
  private readonly instances: InstanceTables;
  /** The gateway instance registered through this handle (registerInstance), stamped on its claims. */
  private instanceId: string | null = null;
  private readonly exposure: DeskExposureTable;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly writeTx: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly clock: Clock;
  private readonly checkpointFile: string;
  private readonly every: { writes: number; ms: number };
  private anchorCache: ReadonlyMap<ChainName, StoredAnchor>;
  private writesSinceCheckpoint = 0;
  private lastCheckpointMs = Number.NEGATIVE_INFINITY;
  /** The heads as of the last durable commit, and the snapshot last written as a checkpoint. */
  private durableHeads: { at: string; snapshot: HeadSnapshot } | null = null;
  private checkpointedHeads: { at: string; snapshot: HeadSnapshot } | null = null;
  /** Commits by this connection (PRAGMA data_version only moves for other connections' commits). */
  private ownCommits = 0;
  /** setState commits by this connection (stateMark): counted once committed, so a reader never caches an older value under the new mark. */
  private ownStateWrites = 0;
  private readonly dataVersion: DataVersion;
  private readonly rateFactsRead: Database.Statement<[Record<string, string>], RateFactsRow>;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly sealer: Sealer | null,
    readonly writeBlock: string | null,
    private readonly options: AuditStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    // Commits never fsync on this thread: a durable batch is synced off it (wal-sync.ts), so NORMAL here
    // is FULL's durability without blocking the event loop, and no PRAGMA has to switch per batch.
    db.pragma('synchronous = NORMAL');
    this.walSync = options.synchronous === 'NORMAL' ? null : new WalSync(`${path}-wal`);
    // Checkpoints in a worker thread, not inside whichever commit passes 1,000 pages (wal-checkpointer.ts). A round that
    // this connection's commits overtook is finished by the worker while they wait a moment in the group commit
    // (WriteHold), rather than by this connection with two fsyncs on the event loop.
    db.pragma('wal_autocheckpoint = 0');
    this.walCheckpoints = new WalCheckpointer(
      path,
      { walFrames: options.walCheckpointAtFrames ?? WAL_CHECKPOINT_FRAMES },
      () => db.pragma('wal_checkpoint(PASSIVE)'),
      undefined,
      { hold: () => this.group.hold(), release: () => this.group.release() },
    );
    this.checkpointFile = checkpointPath(options.dataDir);
    this.every = { writes: options.checkpointEvery?.writes ?? 500, ms: options.checkpointEvery?.ms ?? 60_000 };
    this.heads = new ChainHeads(db);
    this.anchors = new ChainAnchors(db);
    this.anchorCache = this.anchors.all();
    this.dataVersion = new DataVersion(db);
    this.log = new AuditLogTable(db, this.heads);
    this.history = new OrderHistoryTable(db, this.heads, this.dataVersion);
    this.events = new OrderEventsTable(db);
    this.stateLog = new StateLog(db, this.heads, this.dataVersion);
    this.keys = new IdempotencyKeys(db, this.stateLog);
    this.instances = new InstanceTables(db);
    this.exposure = new DeskExposureTable(db);
    this.writeTx = db.transaction((fn: () => unknown) => fn());
    // INDEXED BY: as countModifications (audit-log.ts), the partial index of modifications, never audit_log_event_type.
    this.rateFactsRead = db.prepare(rateFactsSql((name) => `@${name}`, 'audit_log INDEXED BY audit_log_modifications'));
    this.group = new GroupCommit(db, {
      commit: (durable, size, body) => this.inBatch(() => this.commitBatch(durable, size, (now) => this.batchBody(now, body))),
      synced: () => this.synced(),
      relaxedCommitted: () => this.walSync?.soon(),
      toError: (err, what) => toAuditError(err, what),
    });
  }

  get groupStats(): StoreWriteStats {
    return { ...this.group.stats, walSyncs: this.walSync?.syncs ?? 0, walCheckpoints: this.walCheckpoints.checkpoints, walCatchUps: this.walCheckpoints.catchUps, walHeldPasses: this.walCheckpoints.heldPasses };
  }

  private now(): string {
    return isoNow(this.clock);
  }

  /** The sealer, when writes are allowed. */
  private writable(): Sealer {
    if (this.writeBlock !== null) throw new AuditError(`audit.db refuses writes: ${this.writeBlock}`, 'AUDIT_UNAVAILABLE', { writeBlock: this.writeBlock });
    if (this.sealer === null) throw new AuditError('audit.db refuses writes: the audit HMAC key is not available', 'AUDIT_UNAVAILABLE');
    const failure = this.walSync?.failure;
    if (failure) throw new AuditError(`audit.db refuses writes: ${failure.message}`, 'AUDIT_UNAVAILABLE', undefined, { cause: failure });
    return this.sealer;
  }

  /**
   * Queues a write for the next group commit (group-commit.ts): the promise
   * resolves once the batch holding it is committed, durable (fsync'd) unless
   * every write of the batch asked for relaxed durability.
   */
  private write<T>(what: string, options: WriteOptions | undefined, fn: (sealer: Sealer, now: string) => T): Promise<T> {
    try {
      const sealer = this.writable();
      // A batch holds the writes of several requests: the state_log rows each write makes (idempotency claims
      // and results) carry its own caller's correlation id, taken now, not that of whichever write came first.
      const correlationId = options?.correlationId ?? currentContext().correlationId;
      return this.group.enqueue(what, options?.durability !== 'relaxed', (now) => {
        // A write that throws is rolled back alone (its SAVEPOINT): the heads it moved and the versions it wrote go with it.
        const heads = this.heads.save();
        const versions = this.history.pendingMark();
        this.stateLog.correlationId = correlationId;
        try {
          return fn(sealer, now);
        } catch (err) {
          this.heads.restore(heads);
          this.history.rollBackTo(versions);
          throw err;
        }
      });
    } catch (err) {
      return Promise.reject(toAuditError(err, what));
    }
  }

  /**
   * Runs one batch in one IMMEDIATE transaction. A durable batch reads the
   * heads inside it: once its sync returns, everything up to them is on disk
   * (WAL frames are synced in order), including other processes' relaxed
   * writes. Only such a snapshot is ever checkpointed, so a power cut that
   * loses relaxed rows never looks like a truncation.
   */
  private commitBatch<T>(durable: boolean, size: number, body: (now: string) => T): T {
    this.writable();
    const now = this.now();
    const result = this.writeTx.immediate(() => {
      const r = body(now);
      if (durable) this.committedHeads = { at: now, snapshot: snapshotHeads(this.heads) };
      return r;
    }) as T;
    this.ownCommits += 1;
    this.writesSinceCheckpoint += size;
    this.walCheckpoints.committed();
    return result;
  }

  /** After a durable batch's COMMIT: settles when it is on disk; then its heads may be checkpointed. */
  private synced(): Promise<void> | null {
    const heads = this.committedHeads;
    if (this.walSync === null) {
      this.markDurable(heads);
      return null;
    }
    return this.walSync.afterCommit().then(() => this.markDurable(heads));
  }

  /** These heads are on disk: when a checkpoint is due it is signed and appended. */
  private markDurable(heads: { at: string; snapshot: HeadSnapshot } | null): void {
    if (heads === null || !this.db.open || this.sealer === null) return;
    this.durableHeads = heads;
    const due = this.writesSinceCheckpoint >= this.every.writes || this.clock.now() - this.lastCheckpointMs >= this.every.ms;
    if (due) this.checkpoint(this.sealer);
  }

  /** Signs and appends the last durable snapshot, unless it is already checkpointed. */
  private checkpoint(sealer: Sealer): void {
    const durable = this.durableHeads;
    if (durable === null || durable === this.checkpointedHeads) return;
    const cp = signCheckpoint(durable.at, durable.snapshot, this.anchorCache, sealer);
    try {
      appendCheckpoint(this.checkpointFile, cp);
      this.checkpointedHeads = durable;
      this.writesSinceCheckpoint = 0;
      this.lastCheckpointMs = this.clock.now();
      this.options.onCheckpoint?.(cp);
    } catch (err) {
      // The row is committed; failing the caller now would make it retry a write that happened.
      this.options.onCheckpointError?.(err);
    }
  }

  append(entry: AuditAppend, options?: WriteOptions): Promise<AuditEntry> {
    return this.write('append an audit row', options, (sealer, now) => this.log.appendInTransaction(entry, now, sealer));
  }

  recordOrder(entry: AuditAppend, version: OrderVersionInput, options?: WriteOptions): Promise<{ entry: AuditEntry; order: OrderDetail }> {
    return this.write('record an order', options, (sealer, now) => {
      const row = this.log.appendRowInTransaction(entry, now, sealer);
      const order = this.history.appendInTransaction(version, row.id, now, sealer);
      // The order path uses the order alone: the audit row's JSON is parsed back only when asked for.
      let written: AuditEntry | undefined;
      return {
        get entry(): AuditEntry {
          return (written ??= toAuditEntry(row));
        },
        order,
      };
    });
  }

  updateOrder(orderId: string, next: (current: OrderDetail | null) => OrderUpdateRows | null, options?: WriteOptions): Promise<OrderUpdated> {
    return this.write('record an order', options, (sealer, now): OrderUpdated => {
      // Inside the batch: the latest version includes what the writes queued before this one wrote (history.pending).
      const current = this.history.get(orderId);
      const rows = next(current);
      if (rows === null) return { order: current, written: false };
      const row = this.log.appendRowInTransaction(rows.entry, now, sealer);
      return { order: this.history.appendInTransaction(rows.version, row.id, now, sealer), written: true };
    });
  }

  recordNewOrders(request: NewOrdersRequest, options?: WriteOptions): Promise<NewOrdersOutcome> {
    return this.write('record new orders', options, (sealer, now): NewOrdersOutcome => {
      // The claim first: a key another request holds writes nothing and reserves no id.
      const elsewhere = request.claim === undefined ? null : this.foldedClaim(request.claim, sealer, now);
      if (elsewhere !== null) return { kind: 'claimed-elsewhere', claim: elsewhere };
      const { reserve } = request;
      const first = reserve === undefined ? 0 : this.instances.reserve(reserve.count, reserve.floor, () => this.highestOrderId());
      const ids = reserve === undefined ? [] : Array.from({ length: reserve.count }, (_, i) => String(first + i));
      const orders = request.rows(ids).map(({ entry, version }) => this.history.appendInTransaction(version, this.log.appendRowInTransaction(entry, now, sealer).id, now, sealer));
      return { kind: 'recorded', ids, orders };
    });
  }

  /** Inside the write: claims the key (or checks it is still held as taken); null when this request may go on, else how the key stands. */
  private foldedClaim(claim: FoldedClaim, sealer: Sealer, now: string): IdempotencyClaimed | null {
    const { scope, key, owner, requestHash, heldSince } = claim;
    const holderOf = (id: string | null): ClaimHolder => this.instances.holder(id, now);
    if (heldSince !== undefined) {
      if (this.keys.holds(scope, key, this.instanceId, heldSince)) return null;
      // Taken by another gateway meanwhile (or settled and released): this request no longer owns it.
      return this.keys.peek(scope, key, owner, requestHash, holderOf) ?? { kind: 'in-progress' };
    }
    const begun = this.keys.begin(scope, key, owner, requestHash, sealer, now, this.instanceId, holderOf);
    return begun.kind === 'new' ? null : begun;
  }

  private highestOrderId(): number {
    return Math.max(this.history.maxNumericOrderId(), this.log.maxNumericOrderId());
  }

  /**
   * Around one batch's transaction: chain heads and new order versions are
   * held in memory while it runs (chain-heads.ts, order-history.ts); the
   * versions become the remembered latest only once it has committed.
   */
  private inBatch<T>(commit: () => T): T {
    try {
      const result = commit();
      this.heads.committed();
      this.history.committed();
      return result;
    } finally {
      this.heads.end();
      this.history.endBatch();
    }
  }

  /** The batch's body inside its transaction: the heads it moved are written once each, before COMMIT. */
  private batchBody<T>(now: string, body: (now: string) => T): T {
    // Read afresh once inside the transaction: heads and latest versions remembered from this connection's last commit stay valid unless it moved.
    const version = this.dataVersion.current();
    this.heads.begin(version);
    this.history.beginBatch(version);
    const result = body(now);
    this.heads.flush();
    return result;
  }

  getOrder(orderId: string): Promise<OrderDetail | null> {
    return read('read an order', () => this.history.get(orderId));
  }

  getOrderVersions(orderId: string): Promise<OrderDetail[]> {
    return read('read order versions', () => this.history.versions(orderId));
  }

  listOrders(query: OrderListFilter, scope?: OrderScope): Promise<OrderDetail[]> {
    return read('list orders', () => this.history.list(query, scope));
  }

  openOrders(scope?: OrderScope): Promise<OrderDetail[]> {
    return read('list open orders', () => this.history.openOrders(scope));
  }

  heldOrders(scope?: OrderScope): Promise<OrderDetail[]> {
    return read('list orders held for approval', () => this.history.heldOrders(scope));
  }

  countPlaced(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    return read('count placed orders', () => this.history.countPlaced(fromIso, fromInclusive, toIso));
  }

  countModifications(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    return read('count order modifications', () => this.log.countModifications(fromIso, fromInclusive, toIso));
  }

  countAccountMessages(accountId: string, fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    return read("count an account's order messages", () => {
      const count = (sql: string, from: string, to: string): number => (this.prepared(sql).get(accountId, from, to) as { n: number }).n;
      const q = (): string => '?';
      return (
        count(accountPlacementsSql(fromInclusive, q), fromIso, toIso) +
        count(accountModificationsSql(fromInclusive, q), normaliseTimestamp(fromIso), normaliseTimestamp(toIso))
      );
    });
  }

  rateFacts(q: RateFactsQuery): Promise<RateFacts> {
    return read('read the rate limits and duplicate guard facts', () =>
      rateFactsOf(
        this.rateFactsRead.get({
          minute: normaliseTimestamp(q.minuteFromIso),
          day: normaliseTimestamp(q.dayFromIso),
          to: normaliseTimestamp(q.toIso),
          key: q.riskKey,
        }),
      ),
    );
  }

  lastPlacedWithKey(riskKey: string, toIso: string): Promise<string | null> {
    return read('find the last identical order', () => this.history.lastPlacedWithKey(riskKey, toIso));
  }

  fillsSince(accountId: string, fromIso: string, afterRowId: number): Promise<{ fills: Fill[]; lastRowId: number }> {
    return read("read the day's fills", () => this.history.fillsSince(accountId, fromIso, afterRowId));
  }

  changeMark(): Promise<string> {
    return read('read the data version', () => `${String(this.dataVersion.get())}:${this.ownCommits}`);
  }

  stateMark(): Promise<string> {
    return read('read the data version', () => `${String(this.dataVersion.get())}:${this.ownStateWrites}`);
  }

  maxNumericOrderId(): Promise<number> {
    return read('read the highest order id', () => this.highestOrderId());
  }

  findOrderByClientOrderId(accountId: string, clientOrderId: string): Promise<OrderDetail | null> {
    return read('find an order by clientOrderId', () => this.history.findByClientOrderId(accountId, clientOrderId));
  }

  orderEvents(afterSequence: number | undefined, limit: number): Promise<OrderEvent[]> {
    return read('read order events', () => this.events.list(afterSequence, limit));
  }

  lastOrderSequence(): Promise<number> {
    return read('read the last order event', () => this.events.lastSequence());
  }

  query(query: AuditQuery): Promise<AuditPage> {
    return read('query the audit log', () => this.log.query(query));
  }

  verify(): Promise<AuditVerifyResult> {
    return read('verify the audit log', () => {
      // Read before the snapshot: every row a checkpoint names was committed before it was written.
      const checkpoints = readCheckpointLines(this.checkpointFile)
        .map((line) => ({ line, parsed: parseCheckpoint(line, this.sealer) }))
        .filter((c): c is { line: CheckpointLine; parsed: Checkpoint | string } => c.parsed !== null);
      const result = this.db.transaction((): ChainCheck => this.verifySnapshot(checkpoints)).deferred();
      const last = checkpoints.at(-1)?.parsed;
      return { ...result, checkpoints: { count: checkpoints.length, lastAt: last === undefined || typeof last === 'string' ? null : last.at } };
    });
  }

  private verifySnapshot(checkpoints: ReadonlyArray<{ line: CheckpointLine; parsed: Checkpoint | string }>): ChainCheck {
    const anchors = this.anchors.all();
    let checkedRows = 0;
    for (const chain of CHAINS) {
      const anchor = anchors.get(chain);
      if (anchor === undefined) return { ok: false, checkedRows, firstBadId: 1, reason: `${chain} row 1: chain_anchors has no record for this chain (the HMAC upgrade record was deleted)` };
      const problem = anchorProblem(anchor, this.sealer);
      if (problem !== null) return { ok: false, checkedRows, firstBadId: anchor.firstMacId, reason: `${chain} row ${anchor.firstMacId}: ${problem}` };
      const check = verifyChain(this.db, chain, this.heads, anchor, this.sealer);
      checkedRows += check.checkedRows;
      if (!check.ok) return { ...check, checkedRows };
    }
    const keys = this.stateLog.checkIdempotencyKeys();
    if (!keys.ok) return { ...keys, checkedRows };
    // Newest first: the last checkpoint names the most rows, so a truncation is reported in full against it.
    for (const { line, parsed } of [...checkpoints].reverse()) {
      if (typeof parsed === 'string') return { ok: false, checkedRows, firstBadId: null, reason: parsed };
      const check = checkAgainstDatabase(sqliteChainRows(this.db), line, parsed, anchors);
      if (!check.ok) return { ...check, checkedRows };
    }
    return { ok: true, checkedRows, firstBadId: null, reason: null };
  }

  beginIdempotent(scope: string, key: string, owner: string, requestHash: string, options?: WriteOptions): Promise<IdempotencyBegin> {
    return this.write('claim an idempotency key', options, (sealer, now) =>
      this.keys.begin(scope, key, owner, requestHash, sealer, now, this.instanceId, (id) => this.instances.holder(id, now)),
    );
  }

  peekIdempotent(scope: string, key: string, owner: string, requestHash: string): Promise<IdempotencyClaimed | null> {
    return read('look up an idempotency key', () => {
      const now = this.now();
      return this.keys.peek(scope, key, owner, requestHash, (id) => this.instances.holder(id, now));
    });
  }

  takeOverIdempotent(scope: string, key: string, seen: { since: string; instanceId: string | null }, options?: WriteOptions): Promise<string | null> {
    return this.write('take over an idempotency key', options, (sealer, now) => this.keys.takeOverClaim(scope, key, seen, this.instanceId, sealer, now));
  }

  reserveOrderIds(count: number, floor: number): Promise<number> {
    // Relaxed: an id is used only in a durable row committed after this one (WAL order), so a power cut that loses the reservation lost no id in use.
    return this.write('reserve order ids', RELAXED, () => this.instances.reserve(count, floor, () => this.highestOrderId()));
  }

  async registerInstance(info: InstanceInfo): Promise<string> {
    this.instanceId = await this.write('register the gateway instance', RELAXED, (_sealer, now) => this.instances.register(info, now));
    return this.instanceId;
  }

  async heartbeatInstance(): Promise<void> {
    const id = this.instanceId;
    if (id !== null) await this.write('renew the gateway instance lease', RELAXED, (_sealer, now) => this.instances.heartbeat(id, now));
  }

  async endInstance(): Promise<void> {
    const id = this.instanceId;
    if (id !== null) await this.write('end the gateway instance', undefined, (_sealer, now) => this.instances.markEnded(id, now));
  }

  completeIdempotent(scope: string, key: string, result: unknown, options?: WriteOptions): Promise<void> {
    return this.write('store an idempotent result', options, (sealer, now) => this.keys.finish(scope, key, result, sealer, now));
  }

  completeIdempotentFrom<T>(scope: string, key: string, orderIds: readonly string[], result: (orders: ReadonlyArray<OrderDetail | null>) => T, options?: WriteOptions): Promise<T> {
    return this.write('store an idempotent result', options, (sealer, now) => {
      const value = result(orderIds.map((id) => this.history.get(id)));
      this.keys.finish(scope, key, value, sealer, now);
      return value;
    });
  }

  releaseIdempotent(scope: string, key: string, options?: WriteOptions): Promise<void> {
    return this.write('release an idempotency key', options, (sealer, now) => this.keys.giveBack(scope, key, sealer, now));
  }

  publishExposure(publication: ExposurePublication, options?: WriteOptions): Promise<void> {
    return this.write('publish exposure', options, () => this.exposure.publish(publication));
  }

  /** A statement prepared once per SQL text (preparing costs more than running these counts). */
  private prepared(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  exposures(): Promise<ExposurePublication[]> {
    return read('read published exposure', () => this.exposure.list());
  }

  getState<T>(name: string): Promise<T | null> {
    return read('read state', () => {
      if (this.sealer === null) throw new AuditError(`cannot read ${name}: the audit HMAC key is not available`, 'AUDIT_UNAVAILABLE');
      return this.stateLog.state<T>(name, this.sealer);
    });
  }

  async setState(name: string, value: unknown, options?: WriteOptions): Promise<void> {
    await this.write('write state', options, (sealer, now) => this.stateLog.appendInTransaction({ kind: 'state', name, change: 'set', value }, sealer, now));
    this.ownStateWrites += 1;
  }

  /** Closes the database, then checkpoints the last durable heads if they are not yet (relaxed writes after them wait for the next start). */
  close(): Promise<void> {
    return this.closeNow() ?? Promise.resolve();
  }

  /**
   * Commits what is queued, closes, checkpoints. Synchronous, for exit handlers; the promise it
   * returns (close() awaits it) settles when the checkpoint worker, if one was started, has ended.
   */
  closeNow(): Promise<void> | undefined {
    if (!this.db.open) return undefined;
    this.group.flushNow();
    // Whatever was committed is synced before closing; then the last durable heads are on disk.
    this.walSync?.closeNow();
    if (this.walSync?.failure === null && this.committedHeads !== null) this.durableHeads = this.committedHeads;
    const workerGone = this.walCheckpoints.close();
    this.db.close();
    if (this.sealer !== null && this.writeBlock === null) this.checkpoint(this.sealer);
    return workerGone;
  }
}
