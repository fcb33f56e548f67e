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
 * timeout) serialises writers, so the chain never forks and an idempotency
 * key is claimed once.
 *
 * Two chains, not one: order_history has its own hash chain beside
 * audit_log's. Covering it only through audit_log would need every audit row
 * to embed the exact order_history row it was written with; a separate chain
 * lets verify() check each table on its own terms (an edited or deleted
 * version is found at its own row id), keeps order_history rows free to be
 * read without the audit payload, and costs one more hash per order write.
 * Each order_history row also records audit_id, the audit row written in the
 * same transaction, and that link is inside its hash.
 *
 * Failures: anything SQLite throws leaves as AuditError (AUDIT_UNAVAILABLE);
 * the order path treats that as "do not transmit".
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Clock, isoNow, systemClock } from '../clock.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditVerifyResult, OrderDetail, OrderListQuery } from '../models.js';
import { AuditLogTable } from './audit-log.js';
import { ChainHeads, verifyChain } from './chain.js';
import { guard } from './guard.js';
import { IdempotencyKeys, StateTable } from './idempotency.js';
import { migrate } from './migrations.js';
import { OrderHistoryTable } from './order-history.js';
import type { AuditAppend, AuditStore, IdempotencyBegin, OrderVersionInput } from './types.js';

export interface AuditStoreOptions {
  /** Directory holding audit.db; created if missing. */
  dataDir: string;
  clock?: Clock;
  /** FULL (default): durable against power loss. NORMAL: durable against a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
}

export const AUDIT_DB_FILE = 'audit.db';
export const auditDbPath = (dataDir: string): string => join(dataDir, AUDIT_DB_FILE);

/** The store as returned by openAuditStore: the AuditStore contract plus where it lives. */
export interface SqliteAuditStore extends AuditStore {
  readonly path: string;
}

export function openAuditStore(options: AuditStoreOptions): SqliteAuditStore {
  return guard('open the audit database', () => {
    mkdirSync(options.dataDir, { recursive: true });
    const path = auditDbPath(options.dataDir);
    const db = new Database(path);
    try {
      // busy_timeout first: switching to WAL and migrating may wait for another process.
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 10_000))}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch audit.db to WAL (journal_mode=${String(mode)})`);
      db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      db.pragma('foreign_keys = ON');
      const clock = options.clock ?? systemClock;
      migrate(db, () => isoNow(clock));
      return new Store(db, path, clock, options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL');
    } catch (err) {
      db.close();
      throw err;
    }
  });
}

class Store implements SqliteAuditStore {
  private readonly heads: ChainHeads;
  private readonly log: AuditLogTable;
  private readonly history: OrderHistoryTable;
  private readonly keys: IdempotencyKeys;
  private readonly states: StateTable;
  private readonly appendTx: Database.Transaction<(entry: AuditAppend, now: string) => AuditEntry>;
  private readonly recordTx: Database.Transaction<(entry: AuditAppend, version: OrderVersionInput, now: string) => { entry: AuditEntry; order: OrderDetail }>;
  private readonly beginTx: Database.Transaction<(scope: string, key: string, hash: string, now: string) => IdempotencyBegin>;
  private readonly verifyTx: Database.Transaction<() => AuditVerifyResult>;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly clock: Clock,
    private readonly synchronous: 'FULL' | 'NORMAL' = 'FULL',
  ) {
    this.heads = new ChainHeads(db);
    this.log = new AuditLogTable(db, this.heads);
    this.history = new OrderHistoryTable(db, this.heads);
    this.keys = new IdempotencyKeys(db);
    this.states = new StateTable(db);
    this.appendTx = db.transaction((entry: AuditAppend, now: string) => this.log.appendInTransaction(entry, now));
    this.recordTx = db.transaction((entry: AuditAppend, version: OrderVersionInput, now: string) => {
      const written = this.log.appendInTransaction(entry, now);
      const order = this.history.appendInTransaction(version, written.id, now);
      return { entry: written, order };
    });
    this.beginTx = db.transaction((scope: string, key: string, hash: string, now: string) => this.keys.begin(scope, key, hash, now));
    // One read transaction: both chains and their heads are checked against the same snapshot.
    this.verifyTx = db.transaction((): AuditVerifyResult => {
      const audit = verifyChain(db, 'audit_log', this.heads);
      if (!audit.ok) return audit;
      const history = verifyChain(db, 'order_history', this.heads);
      return { ...history, checkedRows: audit.checkedRows + history.checkedRows };
    });
  }

  private now(): string {
    return isoNow(this.clock);
  }

  private relaxedDepth = 0;

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
    return guard('append an audit row', () => this.appendTx.immediate(entry, this.now()));
  }

  recordOrder(entry: AuditAppend, version: OrderVersionInput): { entry: AuditEntry; order: OrderDetail } {
    return guard('record an order', () => this.recordTx.immediate(entry, version, this.now()));
  }

  getOrder(orderId: string): OrderDetail | null {
    return guard('read an order', () => this.history.get(orderId));
  }

  getOrderVersions(orderId: string): OrderDetail[] {
    return guard('read order versions', () => this.history.versions(orderId));
  }

  listOrders(query: OrderListQuery): OrderDetail[] {
    return guard('list orders', () => this.history.list(query));
  }

  openOrders(): OrderDetail[] {
    return guard('list open orders', () => this.history.openOrders());
  }

  maxNumericOrderId(): number {
    return guard('read the highest order id', () => Math.max(this.history.maxNumericOrderId(), this.log.maxNumericOrderId()));
  }

  findOrderByClientOrderId(accountId: string, clientOrderId: string): OrderDetail | null {
    return guard('find an order by clientOrderId', () => this.history.findByClientOrderId(accountId, clientOrderId));
  }

  query(query: AuditQuery): AuditPage {
    return guard('query the audit log', () => this.log.query(query));
  }

  verify(): AuditVerifyResult {
    return guard('verify the audit log', () => this.verifyTx.deferred());
  }

  beginIdempotent(scope: string, key: string, requestHash: string): IdempotencyBegin {
    return guard('claim an idempotency key', () => this.beginTx.immediate(scope, key, requestHash, this.now()));
  }

  completeIdempotent(scope: string, key: string, result: unknown): void {
    guard('store an idempotent result', () => this.keys.finish(scope, key, result, this.now()));
  }

  releaseIdempotent(scope: string, key: string): void {
    guard('release an idempotency key', () => this.keys.giveBack(scope, key));
  }

  getState<T>(name: string): T | null {
    return guard('read state', () => this.states.get<T>(name));
  }

  setState(name: string, value: unknown): void {
    guard('write state', () => this.states.set(name, value, this.now()));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
