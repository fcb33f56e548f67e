/**
 * What the adapter must remember across restarts of the gateway process
 * (SQLite, `${dataDir}/tws-orders.db`): the highest order id it ever used (so
 * ids never collide, even when IBKR's nextValidId lags after a restart), the
 * orders it placed with their last known state, and every execution it has
 * reported (so a fill recovered at reconciliation is reported once, never twice).
 *
 * Its statements are prepared once: the adapter writes here on every order before it is sent and on every word TWS
 * says about it, so preparing SQL per call was most of this file's cost on
 * the acknowledgement path. Commits are WAL with SQLite's default for WAL here
 * (synchronous=NORMAL): they survive a crash of the process; the order's
 * durable record before transmit is the audit row.
 *
 * What TWS says about an order (its states, its fills) is written behind: held
 * here and committed together about a millisecond later, after the gateway has
 * answered the order, instead of one commit per message while the answer waits
 * (bench/tws.js, the adapter's first word -> answer: 0.65-0.85 -> 0.41-0.60 ms at
 * the median). Reads see held writes; the id floor (setMeta) is never held.
 * A crash loses at most that last moment, all of it or none (one commit), the
 * same shape as a power cut under synchronous=NORMAL; reconciliation at the next
 * session start settles the orders from IBKR, and the core records each execution
 * once whatever is reported again. Writes inside transaction() (an order's legs
 * and ids, before it is sent) commit at once, with anything held before them.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { preparePrivateSqlite } from '../../core/audit/private-files.js';
import { TERMINAL_STATUSES, type Fill } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';

type Row = { perm_id: number | null; state: string };
type HeldFill = { fill: Fill; account: string | null };

/** An order as kept: its last known state and the permId IBKR gave it. */
export interface KeptOrder {
  state: BrokerOrderState;
  permId: number | null;
}

/** A copy of a state that shares nothing mutable with it (the spec is the only nested object). */
export const cloneState = (s: BrokerOrderState): BrokerOrderState => ({ ...s, spec: { ...s.spec } });

/**
 * A kept order whose last status is not final, as SQL over its kept state. The statuses are written into the
 * text (our own constants, not input) because a partial index serves only a query with its exact condition;
 * a file whose index was made with other statuses is still read right, by a scan.
 */
const WORKING = `json_extract(state, '$.status') NOT IN (${[...TERMINAL_STATUSES].sort().map((s) => `'${s}'`).join(', ')})`;

const keptOrder = (r: Row): KeptOrder => ({ state: JSON.parse(r.state) as BrokerOrderState, permId: r.perm_id });

/** How far ahead of an order's id the recorded highest id is raised when it must be (coverOrderId). */
export const ORDER_ID_BLOCK = 100;

/** An order's fills, oldest first (read on every execution for the order's running totals). */
export const FILLS_OF_SQL = 'SELECT fill FROM fills WHERE order_id = ? ORDER BY time';

export class OrderStore {
  private readonly db: Database.Database;
  private readonly stmt: {
    meta: Database.Statement<[string], { value: string }>;
    setMeta: Database.Statement<[string, string]>;
    raiseMeta: Database.Statement<[string, string]>;
    saveOrder: Database.Statement<[string, number | null, string]>;
    orders: Database.Statement<[], Row>;
    workingOrders: Database.Statement<[], Row & { seq: number }>;
    order: Database.Statement<[string], Row>;
    orderByPermId: Database.Statement<[number], Row>;
    hasFill: Database.Statement<[string], number>;
    fill: Database.Statement<[string], { fill: string }>;
    addFill: Database.Statement<[string, string, string, string | null, string]>;
    fillsOf: Database.Statement<[string], { fill: string }>;
    lastFillTime: Database.Statement<[], { t: string | null }>;
  };
  private readonly inTransaction: Database.Transaction<(fn: () => void) => void>;
  /** Written behind (see above): each order's latest state, and fills by execution id, in arrival order. */
  private readonly heldStates = new Map<string, KeptOrder>();
  private readonly heldFills = new Map<string, HeldFill>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * The recorded highest id as this connection last read or committed it (-1: not read yet). The file's
   * value only grows, so this is never above it: an id at or below it is covered without a write.
   */
  private covered = -1;
  /** What the transaction in progress raised the recorded highest id to: covered once it commits. */
  private coveredInTransaction: number | null = null;

  constructor(
    dataDir: string,
    /** A held write that could not be committed (it is dropped: reconciliation settles from IBKR). */
    private readonly onWriteError: (err: unknown) => void = () => undefined,
  ) {
    fs.mkdirSync(dataDir, { recursive: true });
    // Orders, fills and account ids are as private as the audit log.
    const file = path.join(dataDir, 'tws-orders.db');
    preparePrivateSqlite(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, perm_id INTEGER, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS fills (exec_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, time TEXT NOT NULL, account TEXT, fill TEXT NOT NULL);
      -- An order's fills are read back on every execution (its running totals): without this, each read scanned every fill ever kept.
      CREATE INDEX IF NOT EXISTS fills_by_order ON fills (order_id, time);
      -- A finished order is read from here by its permId when IBKR names it (the book keeps only working ones from earlier sessions).
      CREATE INDEX IF NOT EXISTS orders_by_perm_id ON orders (perm_id) WHERE perm_id > 0;
      -- The working orders, which the book loads at every start: without it a start read the status inside every
      -- order ever kept (118 ms for 100,000 finished ones, 1 ms with it). Its upkeep costs an order's three
      -- saves about 35 us (2026-12-05), against the 4.4 ms of CPU a tws order takes.
      CREATE INDEX IF NOT EXISTS orders_working ON orders (order_id) WHERE ${WORKING};
    `);
    const db = this.db;
    this.stmt = {
      meta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      // Never lowers a number another connection (or an earlier block) recorded.
      raiseMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE CAST(excluded.value AS INTEGER) > CAST(meta.value AS INTEGER)'),
      saveOrder: db.prepare('INSERT INTO orders (order_id, perm_id, state) VALUES (?, ?, ?) ON CONFLICT(order_id) DO UPDATE SET perm_id = excluded.perm_id, state = excluded.state'),
      orders: db.prepare('SELECT perm_id, state FROM orders'),
      // orders_working's condition word for word: SQLite uses a partial index only for a query that states it (with
      // ORDER BY rowid it scanned the table instead: workingOrders() sorts the few rows itself).
      workingOrders: db.prepare(`SELECT rowid AS seq, perm_id, state FROM orders WHERE ${WORKING}`),
      order: db.prepare('SELECT perm_id, state FROM orders WHERE order_id = ?'),
      orderByPermId: db.prepare('SELECT perm_id, state FROM orders WHERE perm_id = ? AND perm_id > 0 ORDER BY rowid DESC LIMIT 1'),
      hasFill: db.prepare<[string], number>('SELECT 1 FROM fills WHERE exec_id = ?').pluck(),
      fill: db.prepare('SELECT fill FROM fills WHERE exec_id = ?'),
      addFill: db.prepare('INSERT OR IGNORE INTO fills (exec_id, order_id, time, account, fill) VALUES (?, ?, ?, ?, ?)'),
      fillsOf: db.prepare(FILLS_OF_SQL),
      lastFillTime: db.prepare('SELECT MAX(time) AS t FROM fills'),
    };
    this.inTransaction = db.transaction((fn: () => void) => {
      this.writeHeld();
      fn();
    });
  }

  /** Runs `fn`'s writes as one commit, now (the legs of an order and the ids they use, before it is sent), with anything held. */
  transaction(fn: () => void): void {
    try {
      this.inTransaction(fn);
    } catch (err) {
      // Rolled back: what it recorded is not on disk, so it covers nothing.
      this.coveredInTransaction = null;
      throw err;
    }
    if (this.coveredInTransaction !== null) this.covered = Math.max(this.covered, this.coveredInTransaction);
    this.coveredInTransaction = null;
  }

  /** Commits what is held now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.heldStates.size === 0 && this.heldFills.size === 0) return;
    try {
      this.inTransaction(() => undefined);
    } catch (err) {
      this.heldStates.clear();
      this.heldFills.clear();
      this.onWriteError(err);
    }
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private writeHeld(): void {
    for (const [orderId, { state, permId }] of this.heldStates) this.stmt.saveOrder.run(orderId, permId, JSON.stringify(state));
    for (const { fill, account } of this.heldFills.values()) this.stmt.addFill.run(fill.execId, fill.orderId, fill.time, account, JSON.stringify(fill));
    this.heldStates.clear();
    this.heldFills.clear();
  }

  /** Held until the next commit: inside transaction() that is now, otherwise about a millisecond from now (a timer). */
  private hold(): boolean {
    if (this.db.inTransaction) return false;
    // setTimeout, not setImmediate: the gateway's answer to the order (its audit write runs in the next check phase) goes first.
    this.flushTimer ??= setTimeout(() => this.flush(), 0);
    return true;
  }

  meta(key: string): string | null {
    return this.stmt.meta.get(key)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  highestOrderId(): number {
    const highest = Number(this.meta('highest_order_id') ?? 0) || 0;
    // Read inside a transaction it may be this transaction's own write, not yet committed.
    if (!this.db.inTransaction) this.covered = Math.max(this.covered, highest);
    return highest;
  }

  /**
   * Order `id` is used from now on (its legs are written in the same transaction): the recorded highest id,
   * above which ids start after a restart, is raised past it when it does not cover it yet, and then
   * `ORDER_ID_BLOCK` ahead, so most orders' commits write only their legs (the recorded number is one more
   * page for SQLite to write, about a third of the commit before an order is sent). The cost: after a
   * restart, ids may continue up to a block above the last one used; IBKR asks only for increasing ids.
   */
  coverOrderId(id: number): void {
    if (id <= this.covered || id <= (this.coveredInTransaction ?? -1)) return;
    const upTo = id + ORDER_ID_BLOCK;
    this.stmt.raiseMeta.run('highest_order_id', String(upTo));
    if (this.db.inTransaction) this.coveredInTransaction = Math.max(this.coveredInTransaction ?? -1, upTo);
    else this.covered = Math.max(this.covered, upTo);
  }

  noteOrderId(id: number): void {
    if (id > this.highestOrderId()) this.setMeta('highest_order_id', String(id));
  }

  /** The order's state as of now (written behind outside a transaction: only the latest state of each order is kept). */
  saveOrder(state: BrokerOrderState, permId: number | null): void {
    if (!this.hold()) {
      this.heldStates.delete(state.orderId);
      this.stmt.saveOrder.run(state.orderId, permId, JSON.stringify(state));
      return;
    }
    // Re-inserted so that held states are written in the order of their last change.
    this.heldStates.delete(state.orderId);
    this.heldStates.set(state.orderId, { state: cloneState(state), permId });
  }

  /** Every order kept, finished ones included. */
  orders(): KeptOrder[] {
    this.flush();
    return this.stmt.orders.all().map(keptOrder);
  }

  /** The orders kept whose last status is not final, in the order they were first kept: what a book starting now holds. */
  workingOrders(): KeptOrder[] {
    this.flush();
    return this.stmt.workingOrders
      .all()
      .sort((a, b) => a.seq - b.seq)
      .map(keptOrder);
  }

  /** One kept order by our id (a state held for the next commit included). */
  order(orderId: string): KeptOrder | null {
    const held = this.heldStates.get(orderId);
    if (held) return { state: cloneState(held.state), permId: held.permId };
    const row = this.stmt.order.get(orderId);
    return row ? keptOrder(row) : null;
  }

  /** The kept order IBKR knows by this permId (the most recently added if several ever had it). */
  orderByPermId(permId: number): KeptOrder | null {
    if (permId <= 0) return null;
    for (const held of this.heldStates.values()) if (held.permId === permId) return { state: cloneState(held.state), permId };
    const row = this.stmt.orderByPermId.get(permId);
    return row ? keptOrder(row) : null;
  }

  hasFill(execId: string): boolean {
    return this.heldFills.has(execId) || this.stmt.hasFill.get(execId) !== undefined;
  }

  fill(execId: string): Fill | null {
    const held = this.heldFills.get(execId);
    if (held) return { ...held.fill };
    const row = this.stmt.fill.get(execId);
    return row ? (JSON.parse(row.fill) as Fill) : null;
  }

  /** Kept once per execution id: a second report of one is ignored. True when this one was new. */
  addFill(fill: Fill, account: string | null): boolean {
    if (this.hasFill(fill.execId)) return false;
    if (!this.hold()) {
      this.stmt.addFill.run(fill.execId, fill.orderId, fill.time, account, JSON.stringify(fill));
      return true;
    }
    this.heldFills.set(fill.execId, { fill: { ...fill }, account });
    return true;
  }

  /** An order's fills, oldest first (held ones included). */
  fillsOf(orderId: string): Fill[] {
    const kept = this.stmt.fillsOf.all(orderId).map((r) => JSON.parse(r.fill) as Fill);
    const held = [...this.heldFills.values()].filter((h) => h.fill.orderId === orderId).map((h) => ({ ...h.fill }));
    if (held.length === 0) return kept;
    // Stable: kept fills stay ahead of held ones at the same time, as they were inserted first.
    return [...kept, ...held].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  lastFillTime(): string | null {
    this.flush();
    return this.stmt.lastFillTime.get()?.t ?? null;
  }
}
