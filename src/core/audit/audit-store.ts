/**
 * The SQLite audit store (data/audit.db).
 *
 * Durability: WAL with synchronous=FULL by default, so a row is on disk when
 * append() returns; NORMAL survives a process crash but not a power cut.
 * withRelaxedDurability() lets the order path skip the fsync for writes whose
 * loss a power cut could not make unsafe (an order's later status versions,
 * which reconciliation with the broker restores; idempotency bookkeeping that
 * the next durable write flushes with it, since WAL frames reach the disk in
 * order). The row written before an order is transmitted is always durable.
 *
 * Concurrency: every write is one BEGIN IMMEDIATE transaction, which takes
 * the database's write lock before reading the chain head. Within a process
 * better-sqlite3 is synchronous; across processes the lock (with a busy
 * timeout) serialises writers, so a chain never forks and an idempotency
 * key is claimed once.
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
import { type Clock, isoNow, systemClock } from '../clock.js';
import { AuditError } from '../errors.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditVerifyResult, Fill, OrderDetail, OrderEvent, OrderListQuery } from '../models.js';
import { anchorProblem, ChainAnchors, type StoredAnchor } from './anchors.js';
import { AuditLogTable } from './audit-log.js';
import { CHAINS, ChainHeads, type ChainCheck, type ChainName, type Sealer, verifyChain } from './chain.js';
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
} from './checkpoints.js';
import { guard } from './guard.js';
import { IdempotencyKeys } from './idempotency.js';
import { openAuditDatabase, type OpenOptions } from './open.js';
import { OrderEventsTable } from './order-events.js';
import { OrderHistoryTable } from './order-history.js';
import { StateLog } from './state-log.js';
import type { AuditAppend, AuditStore, IdempotencyBegin, OrderScope, OrderVersionInput } from './types.js';

export interface AuditStoreOptions extends OpenOptions {
  /** A checkpoint is written after a durable write once this many writes (default 500) or ms (default 60,000) have passed, and at close. */
  checkpointEvery?: { writes?: number; ms?: number };
  /** Each checkpoint as written, for the log (a copy outside DATA_DIR). */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  /** A checkpoint that could not be written (the row itself was committed; the next write retries). */
  onCheckpointError?: (err: unknown) => void;
}

export const AUDIT_DB_FILE = 'audit.db';
export const auditDbPath = (dataDir: string): string => join(dataDir, AUDIT_DB_FILE);

/** The store as returned by openAuditStore: the AuditStore contract plus where it lives. */
export interface SqliteAuditStore extends AuditStore {
  readonly path: string;
  /** Why writes are refused (tamper or key problem found at open), or null. */
  readonly writeBlock: string | null;
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
  private readonly heads: ChainHeads;
  private readonly anchors: ChainAnchors;
  private readonly log: AuditLogTable;
  private readonly history: OrderHistoryTable;
  private readonly events: OrderEventsTable;
  private readonly stateLog: StateLog;
  private readonly keys: IdempotencyKeys;
  private readonly writeTx: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly clock: Clock;
  private readonly synchronous: 'FULL' | 'NORMAL';
  private readonly checkpointFile: string;
  private readonly every: { writes: number; ms: number };
  private anchorCache: ReadonlyMap<ChainName, StoredAnchor>;
  private writesSinceCheckpoint = 0;
  private lastCheckpointMs = Number.NEGATIVE_INFINITY;
  /** The heads as of the last durable commit, and the snapshot last written as a checkpoint. */
  private durableHeads: { at: string; snapshot: HeadSnapshot } | null = null;
  private checkpointedHeads: { at: string; snapshot: HeadSnapshot } | null = null;
  private relaxedDepth = 0;
  /** Commits by this connection (PRAGMA data_version only moves for other connections' commits). */
  private ownCommits = 0;
  private readonly dataVersion: Database.Statement<[], number>;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly sealer: Sealer | null,
    readonly writeBlock: string | null,
    private readonly options: AuditStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.synchronous = options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL';
    this.checkpointFile = checkpointPath(options.dataDir);
    this.every = { writes: options.checkpointEvery?.writes ?? 500, ms: options.checkpointEvery?.ms ?? 60_000 };
    this.heads = new ChainHeads(db);
    this.anchors = new ChainAnchors(db);
    this.anchorCache = this.anchors.all();
    this.log = new AuditLogTable(db, this.heads);
    this.history = new OrderHistoryTable(db, this.heads);
    this.events = new OrderEventsTable(db);
    this.stateLog = new StateLog(db, this.heads);
    this.keys = new IdempotencyKeys(db, this.stateLog);
    this.writeTx = db.transaction((fn: () => unknown) => fn());
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  private now(): string {
    return isoNow(this.clock);
  }

  /** The sealer, when writes are allowed. */
  private writable(): Sealer {
    if (this.writeBlock !== null) throw new AuditError(`audit.db refuses writes: ${this.writeBlock}`, 'AUDIT_UNAVAILABLE', { writeBlock: this.writeBlock });
    if (this.sealer === null) throw new AuditError('audit.db refuses writes: the audit HMAC key is not available', 'AUDIT_UNAVAILABLE');
    return this.sealer;
  }

  /**
   * One IMMEDIATE transaction. A durable write (not relaxed) reads the heads
   * inside it: everything up to them reached the disk with its commit (WAL
   * frames are synced in order), including other processes' relaxed writes.
   * Only such a snapshot is ever checkpointed, so a power cut that loses
   * relaxed rows never looks like a truncation. When a checkpoint is due it
   * is signed and appended after the commit.
   */
  private write<T>(what: string, fn: (sealer: Sealer, now: string) => T): T {
    return guard(what, () => {
      const sealer = this.writable();
      const now = this.now();
      const durable = this.relaxedDepth === 0;
      const result = this.writeTx.immediate(() => {
        const r = fn(sealer, now);
        if (durable) this.durableHeads = { at: now, snapshot: snapshotHeads(this.heads) };
        return r;
      }) as T;
      this.ownCommits += 1;
      this.writesSinceCheckpoint += 1;
      const due = this.writesSinceCheckpoint >= this.every.writes || this.clock.now() - this.lastCheckpointMs >= this.every.ms;
      if (durable && due) this.checkpoint(sealer);
      return result;
    });
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

  withRelaxedDurability<T>(fn: () => T): T {
    if (this.synchronous !== 'FULL') return fn();
    if (this.relaxedDepth++ === 0) this.db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      if (--this.relaxedDepth === 0) this.db.pragma('synchronous = FULL');
    }
  }

  append(entry: AuditAppend): AuditEntry {
    return this.write('append an audit row', (sealer, now) => this.log.appendInTransaction(entry, now, sealer));
  }

  recordOrder(entry: AuditAppend, version: OrderVersionInput): { entry: AuditEntry; order: OrderDetail } {
    return this.write('record an order', (sealer, now) => {
      const written = this.log.appendInTransaction(entry, now, sealer);
      const order = this.history.appendInTransaction(version, written.id, now, sealer);
      return { entry: written, order };
    });
  }

  getOrder(orderId: string): OrderDetail | null {
    return guard('read an order', () => this.history.get(orderId));
  }

  getOrderVersions(orderId: string): OrderDetail[] {
    return guard('read order versions', () => this.history.versions(orderId));
  }

  listOrders(query: OrderListQuery, scope?: OrderScope): OrderDetail[] {
    return guard('list orders', () => this.history.list(query, scope));
  }

  openOrders(scope?: OrderScope): OrderDetail[] {
    return guard('list open orders', () => this.history.openOrders(scope));
  }

  countPlaced(fromIso: string, fromInclusive: boolean, toIso: string): number {
    return guard('count placed orders', () => this.history.countPlaced(fromIso, fromInclusive, toIso));
  }

  countModifications(fromIso: string, fromInclusive: boolean, toIso: string): number {
    return guard('count order modifications', () => this.log.countModifications(fromIso, fromInclusive, toIso));
  }

  lastPlacedWithKey(riskKey: string, toIso: string): string | null {
    return guard('find the last identical order', () => this.history.lastPlacedWithKey(riskKey, toIso));
  }

  fillsSince(accountId: string, fromIso: string, afterRowId: number): { fills: Fill[]; lastRowId: number } {
    return guard("read the day's fills", () => this.history.fillsSince(accountId, fromIso, afterRowId));
  }

  changeMark(): string {
    return guard('read the data version', () => `${String(this.dataVersion.get())}:${this.ownCommits}`);
  }

  maxNumericOrderId(): number {
    return guard('read the highest order id', () => Math.max(this.history.maxNumericOrderId(), this.log.maxNumericOrderId()));
  }

  findOrderByClientOrderId(accountId: string, clientOrderId: string): OrderDetail | null {
    return guard('find an order by clientOrderId', () => this.history.findByClientOrderId(accountId, clientOrderId));
  }

  orderEvents(afterSequence: number | undefined, limit: number): OrderEvent[] {
    return guard('read order events', () => this.events.list(afterSequence, limit));
  }

  lastOrderSequence(): number {
    return guard('read the last order event', () => this.events.lastSequence());
  }

  query(query: AuditQuery): AuditPage {
    return guard('query the audit log', () => this.log.query(query));
  }

  verify(): AuditVerifyResult {
    return guard('verify the audit log', () => {
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
      const check = checkAgainstDatabase(this.db, line, parsed, anchors);
      if (!check.ok) return { ...check, checkedRows };
    }
    return { ok: true, checkedRows, firstBadId: null, reason: null };
  }

  beginIdempotent(scope: string, key: string, owner: string, requestHash: string): IdempotencyBegin {
    return this.write('claim an idempotency key', (sealer, now) => this.keys.begin(scope, key, owner, requestHash, sealer, now));
  }

  completeIdempotent(scope: string, key: string, result: unknown): void {
    this.write('store an idempotent result', (sealer, now) => this.keys.finish(scope, key, result, sealer, now));
  }

  releaseIdempotent(scope: string, key: string): void {
    this.write('release an idempotency key', (sealer, now) => this.keys.giveBack(scope, key, sealer, now));
  }

  getState<T>(name: string): T | null {
    return guard('read state', () => {
      if (this.sealer === null) throw new AuditError(`cannot read ${name}: the audit HMAC key is not available`, 'AUDIT_UNAVAILABLE');
      return this.stateLog.state<T>(name, this.sealer);
    });
  }

  setState(name: string, value: unknown): void {
    this.write('write state', (sealer, now) => this.stateLog.appendInTransaction({ kind: 'state', name, change: 'set', value }, sealer, now));
  }

  /** Closes the database, then checkpoints the last durable heads if they are not yet (relaxed writes after them wait for the next start). */
  close(): void {
    if (!this.db.open) return;
    this.db.close();
    if (this.sealer !== null && this.writeBlock === null) this.checkpoint(this.sealer);
  }
}
