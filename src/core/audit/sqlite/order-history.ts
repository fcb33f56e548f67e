/**
 * order_history: one row per version of an order, the current state being the
 * highest version. Rows are hash-chained like audit_log (see store.ts).
 */
import type Database from 'better-sqlite3';
import { type Fill, type OrderDetail, TERMINAL_STATUSES } from '../../models.js';
import type { Sealer } from '../chain.js';
import type { ChainHeads } from './chain-heads.js';
import type { DataVersion } from './data-version.js';
import { sqliteCode } from './guard.js';
import { fromJsonText, normaliseTimestamp } from '../json.js';
import { clientOrderIdReused, historyRow, isPlacement } from '../row-builders.js';
import { placedInRange, type PlacedRange, placedRangeSql } from '../placed-range.js';
import { type HistoryRow, orderDetailOf, toOrderDetail } from '../rows.js';
import { ParsedColumns } from './parsed-columns.js';
import type { OrderListFilter, OrderScope, OrderVersionInput } from '../types.js';

const COLUMNS =
  'id, order_id, version, client_order_id, parent_order_id, role, account_id, con_id, symbol, status, spec, filled_quantity, remaining_quantity, avg_fill_price, commission, fills, status_message, correlation_id, created_at, updated_at, audit_id, prev_hash, hash, broker_identity, placed_seq, risk_key';

/** Orders whose latest version is remembered (a few hundred bytes each). */
const LATEST_KEPT = 4096;
/** Filled rows remembered per account for fillsSince (beyond: the account's next read queries the table). */
const FILLED_KEPT = 4096;
/** Accounts whose filled rows are remembered. */
const ACCOUNTS_KEPT = 64;

/**
 * Every committed version with fills of one account with an id above `from`,
 * in id order, while no other connection has committed (see fillsSince).
 */
interface KnownFills {
  from: number;
  rows: HistoryRow[];
}

const fillTime = (f: Fill): string => normaliseTimestamp(f.time);

const TERMINAL_SQL = [...TERMINAL_STATUSES].map((s) => `'${s}'`).join(', ');

/**
 * Rows of the orders a broker identity owns: its own, and rows written before
 * orders carried an identity whose account that broker manages.
 */
const IN_SCOPE = `(h.broker_identity IN (SELECT value FROM json_each(?)) OR (h.broker_identity IS NULL AND h.account_id IN (SELECT value FROM json_each(?))))`;
const scopeParams = (scope: OrderScope): [string, string] => [JSON.stringify(scope.identities), JSON.stringify(scope.accounts)];

/** The columns of `h`, for a query that joins another row of the table. */
const H_COLUMNS = COLUMNS.split(', ')
  .map((c) => `h.${c}`)
  .join(', ');

/** Rows that are the latest version of their order. */
const LATEST = `NOT EXISTS (SELECT 1 FROM order_history n WHERE n.order_id = h.order_id AND n.version > h.version)`;

export class OrderHistoryTable {
  private readonly insert: Database.Statement<[HistoryRow]>;
  private readonly latestOf: Database.Statement<[string], HistoryRow>;
  private readonly versionsOf: Database.Statement<[string], HistoryRow>;
  private readonly byClientId: Database.Statement<[string, string], HistoryRow>;
  private readonly open: Database.Statement<[], HistoryRow>;
  private readonly openScoped: Database.Statement<[string, string], HistoryRow>;
  private readonly held: Database.Statement<[], HistoryRow>;
  private readonly heldScoped: Database.Statement<[string, string], HistoryRow>;
  private readonly maxSeq: Database.Statement<[], { m: number | null }>;
  private readonly placedAfter: Database.Statement<[{ from: string; to: string }], PlacedRange>;
  private readonly placedFrom: Database.Statement<[{ from: string; to: string }], PlacedRange>;
  private readonly lastWithKey: Database.Statement<[string, string], { created_at: string }>;
  private readonly filledRows: Database.Statement<[number, string, string], { id: number; fills: string }>;
  private readonly filledRowsSince: Database.Statement<[string, string], { id: number; fills: string }>;
  private readonly maxRowId: Database.Statement<[], { m: number | null }>;
  private readonly maxNumeric: Database.Statement<[], { m: number | null }>;
  private readonly lists = new Map<string, Database.Statement>();
  /**
   * The latest version of orders this connection wrote or read lately. An
   * order is read back several times around its transmit (its status, its
   * fill, the answer) and every new version reads the one before it; the
   * cache answers those without a query. Valid while no other connection has
   * committed (PRAGMA data_version, checked at every use: another gateway or
   * the CLI on the same file empties it). Rows written in the open write
   * transaction wait in `pending` and enter only once it has committed.
   */
  private readonly latest = new Map<string, HistoryRow>();
  /**
   * The highest placed_seq committed, as read (MAX) or written by this connection since another
   * connection last committed; null: not known, read it. Kept under the same rule as `latest`: a
   * placement read MAX(placed_seq) every time, a statement per order before transmit.
   */
  private placedSeqHigh: number | null = null;
  /**
   * MAX(id) of the table, as read or written by this connection since another connection last
   * committed; null: not known. With `knownFills`, what fillsSince answers from without a statement.
   */
  private highRowId: number | null = null;
  /**
   * Per account, the filled versions committed since a point, kept under the same rule as `latest`:
   * set by a read of the table (nothing above its MAX(id) then), added to by this connection's commits.
   * fillsSince read MAX(id) and the filled rows after the caller's mark on every order, twice (the
   * risk check before it, the loss check after its fill), and parsed each row's fills again.
   */
  private readonly knownFills = new Map<string, KnownFills>();
  /** The spec and fills of kept rows, parsed once (parsed-columns.ts). */
  private readonly parsed = new ParsedColumns();
  private seenDataVersion = -1;
  private pending: Array<[string, HistoryRow]> | null = null;
  /** committed() ran for the open batch (see endBatch). */
  private batchCommitted = false;
  private pendingLatest = new Map<string, HistoryRow>();

  constructor(
    private readonly db: Database.Database,
    private readonly heads: ChainHeads,
    /** The connection's PRAGMA data_version, shared with the store (one read per callback: data-version.ts). */
    private readonly dataVersion: DataVersion,
  ) {
    this.insert = db.prepare(
      `INSERT INTO order_history (${COLUMNS}) VALUES (@id, @order_id, @version, @client_order_id, @parent_order_id, @role, @account_id, @con_id, @symbol, @status, @spec, @filled_quantity, @remaining_quantity, @avg_fill_price, @commission, @fills, @status_message, @correlation_id, @created_at, @updated_at, @audit_id, @prev_hash, @hash, @broker_identity, @placed_seq, @risk_key)`,
    );
    this.latestOf = db.prepare(`SELECT ${COLUMNS} FROM order_history WHERE order_id = ? ORDER BY version DESC LIMIT 1`);
    this.versionsOf = db.prepare(`SELECT ${COLUMNS} FROM order_history WHERE order_id = ? ORDER BY version`);
    // The first version carries the clientOrderId claim; the current state is the latest version of that order.
    this.byClientId = db.prepare(
      `SELECT ${COLUMNS} FROM order_history WHERE order_id = (
         SELECT order_id FROM order_history
         WHERE ifnull(account_id, '') = ? AND client_order_id = ? AND version = 1 AND role = 'ENTRY'
         ORDER BY id LIMIT 1)
       ORDER BY version DESC LIMIT 1`,
    );
    this.open = db.prepare(`SELECT ${COLUMNS} FROM order_history h WHERE h.status NOT IN (${TERMINAL_SQL}) AND ${LATEST} ORDER BY h.id`);
    this.openScoped = db.prepare(`SELECT ${COLUMNS} FROM order_history h WHERE h.status NOT IN (${TERMINAL_SQL}) AND ${IN_SCOPE} AND ${LATEST} ORDER BY h.id`);
    // Only the rows in the partial index order_history_held (migration 8) are read. INDEXED BY: left to
    // itself the planner walks the whole table in id order to skip a sort (EXPLAIN: SCAN h, ~100 ms at 30,000 orders).
    const held = `SELECT ${COLUMNS} FROM order_history h INDEXED BY order_history_held WHERE h.status = 'PENDING_APPROVAL'`;
    this.held = db.prepare(`${held} AND ${LATEST} ORDER BY h.id`);
    this.heldScoped = db.prepare(`${held} AND ${IN_SCOPE} AND ${LATEST} ORDER BY h.id`);
    this.maxSeq = db.prepare('SELECT MAX(placed_seq) AS m FROM order_history WHERE placed_seq IS NOT NULL');
    // Named parameters: the end of the window appears twice.
    const named = (n: number): string => (n === 1 ? '@from' : '@to');
    this.placedAfter = db.prepare(placedRangeSql('>', named));
    this.placedFrom = db.prepare(placedRangeSql('>=', named));
    this.lastWithKey = db.prepare('SELECT created_at FROM order_history WHERE risk_key = ? AND created_at <= ? ORDER BY created_at DESC LIMIT 1');
    this.filledRows = db.prepare("SELECT id, fills FROM order_history WHERE id > ? AND account_id = ? AND updated_at >= ? AND fills <> '[]' ORDER BY id");
    // The first read of a day finds its rows by updated_at in the index of filled versions (migration 9), later reads
    // by row id: neither scans the history. INDEXED BY: a plan that could not use it fails here rather than scanning.
    this.filledRowsSince = db.prepare("SELECT id, fills FROM order_history INDEXED BY order_history_filled WHERE updated_at >= ? AND account_id = ? AND fills <> '[]'");
    this.maxRowId = db.prepare('SELECT MAX(id) AS m FROM order_history');
    this.maxNumeric = db.prepare(
      "SELECT MAX(CAST(order_id AS INTEGER)) AS m FROM order_history WHERE order_id <> '' AND order_id NOT GLOB '*[^0-9]*'",
    );
  }

  /** Writes the next version of an order. Must run inside the IMMEDIATE transaction that wrote audit row `auditId`. */
  appendInTransaction(v: OrderVersionInput, auditId: number, now: string, sealer: Sealer): OrderDetail {
    const previous = this.latestRow(v.orderId);
    // A placement is counted once, on the order's first version: the rate limits and the duplicate guard read these.
    const placedSeq = isPlacement(v, previous) ? this.highestPlacedSeq() + 1 : null;
    const row = historyRow(v, previous, this.heads.next('order_history'), auditId, now, placedSeq, sealer);
    try {
      this.insert.run(row);
    } catch (err) {
      throw (sqliteCode(err) === 'SQLITE_CONSTRAINT_UNIQUE' ? clientOrderIdReused(row) : null) ?? err;
    }
    this.heads.advance('order_history', row.id, row.hash);
    if (this.pending) {
      this.pending.push([row.order_id, row]);
      this.pendingLatest.set(row.order_id, row);
    } else {
      // Written outside a batch (every store write is one today): no committed() will add it to what fillsSince and
      // latestRow answer from, so nothing remembered is trusted any more.
      this.forget();
    }
    return this.detailOf(row, previous);
  }

  /** toOrderDetail(row), from the row's parse kept with it (`previous`: the version before, whose parse it may share). */
  private detailOf(row: HistoryRow, previous?: HistoryRow): OrderDetail {
    const p = this.parsed.of(row, previous);
    return orderDetailOf(row, this.parsed.spec(row, p), this.parsed.fills(row, p));
  }

  /** The highest placed_seq so far: written in the open transaction, else remembered (if no one else committed since), else read. */
  private highestPlacedSeq(): number {
    if (this.pending === null) return this.maxSeq.get()?.m ?? 0;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const seq = (this.pending[i] as [string, HistoryRow])[1].placed_seq;
      if (seq !== null) return seq;
    }
    return (this.placedSeqHigh ??= this.maxSeq.get()?.m ?? 0);
  }

  get(orderId: string): OrderDetail | null {
    const row = this.latestRow(orderId);
    return row ? this.detailOf(row) : null;
  }

  /** The latest version: written in the open transaction, else remembered (if no one else committed since), else read. */
  private latestRow(orderId: string): HistoryRow | undefined {
    if (this.pending) {
      const written = this.pendingLatest.get(orderId);
      if (written) return written;
    } else this.checkDataVersion(this.dataVersion.get());
    const known = this.latest.get(orderId);
    if (known) return known;
    // Inside a write transaction this reads what is committed (this transaction's own rows are in pending).
    const row = this.latestOf.get(orderId);
    if (row) this.remember(row);
    return row;
  }

  private remember(row: HistoryRow): void {
    this.latest.delete(row.order_id);
    this.latest.set(row.order_id, row);
    // Bounded: the oldest entry goes first (a working order read again is simply read from the table).
    if (this.latest.size > LATEST_KEPT) this.latest.delete(this.latest.keys().next().value as string);
  }

  /**
   * A write transaction starts: versions written from now on are pending
   * until committed(). `dataVersion` is PRAGMA data_version read inside it:
   * checked once here, since no one else can commit while the transaction
   * holds the write lock (latestRow then needs no PRAGMA of its own).
   */
  beginBatch(dataVersion: number): void {
    this.pending = [];
    this.pendingLatest = new Map();
    this.checkDataVersion(dataVersion);
  }

  private checkDataVersion(version: number): void {
    if (version === this.seenDataVersion) return;
    this.forget();
    this.seenDataVersion = version;
  }

  /** Everything remembered of the table goes: the next reads query it. */
  private forget(): void {
    this.latest.clear();
    this.placedSeqHigh = null;
    this.highRowId = null;
    this.knownFills.clear();
  }

  /** How many versions the transaction has written (see rollBackTo). */
  pendingMark(): number {
    return this.pending?.length ?? 0;
  }

  /** One write of the batch was rolled back (its SAVEPOINT): the versions it wrote are forgotten. */
  rollBackTo(mark: number): void {
    if (!this.pending || this.pending.length === mark) return;
    this.pending.length = mark;
    this.pendingLatest = new Map(this.pending);
  }

  /** The transaction committed: its versions are the latest, its placements the highest, its filled versions known. */
  committed(): void {
    this.batchCommitted = true;
    for (const [, row] of this.pending ?? []) {
      this.remember(row);
      if (row.placed_seq !== null && this.placedSeqHigh !== null) this.placedSeqHigh = Math.max(this.placedSeqHigh, row.placed_seq);
      // Ids only grow (the chain's next id, taken under the write lock), so each row is the highest so far.
      if (this.highRowId !== null) this.highRowId = Math.max(this.highRowId, row.id);
      if (row.fills !== '[]' && row.account_id !== null) {
        const known = this.knownFills.get(row.account_id);
        if (known === undefined) continue;
        known.rows.push(row);
        // Nobody read this account's fills for a long while: its next read queries the table instead.
        if (known.rows.length > FILLED_KEPT) this.knownFills.delete(row.account_id);
      }
    }
  }

  /** After COMMIT or ROLLBACK. */
  endBatch(): void {
    // A transaction that ended without committed(): rolled back, or something threw after its COMMIT. Its rows are in
    // no memory either way; had it committed, what is remembered would lack them, so nothing remembered is kept.
    if (this.pending !== null && !this.batchCommitted) this.forget();
    this.batchCommitted = false;
    this.pending = null;
    this.pendingLatest = new Map();
  }

  versions(orderId: string): OrderDetail[] {
    return this.versionsOf.all(orderId).map(toOrderDetail);
  }

  findByClientOrderId(accountId: string, clientOrderId: string): OrderDetail | null {
    const row = this.byClientId.get(accountId, clientOrderId);
    return row ? toOrderDetail(row) : null;
  }

  openOrders(scope?: OrderScope): OrderDetail[] {
    return (scope ? this.openScoped.all(...scopeParams(scope)) : this.open.all()).map(toOrderDetail);
  }

  heldOrders(scope?: OrderScope): OrderDetail[] {
    return (scope ? this.heldScoped.all(...scopeParams(scope)) : this.held.all()).map(toOrderDetail);
  }

  /**
   * Orders placed with created_at in (from, to] (or [from, to]): the
   * placement sequence numbers of the first and last such order, two index
   * lookups however many orders the window holds.
   */
  countPlaced(fromIso: string, fromInclusive: boolean, toIso: string): number {
    return placedInRange((fromInclusive ? this.placedFrom : this.placedAfter).get({ from: fromIso, to: toIso }));
  }

  /**
   * Fills at or after `fromIso` on rows after `afterRowId` (each order row repeats its earlier fills: callers dedupe by execId).
   * Answered from memory when no other connection has committed since this connection last read the account's filled rows
   * (PRAGMA data_version): the rows it has committed since are all there are. Otherwise read, and remembered from there.
   */
  fillsSince(accountId: string, fromIso: string, afterRowId: number): { fills: Fill[]; lastRowId: number } {
    // Inside a write transaction (not on any path today) a read would see its uncommitted rows: no memory used or kept.
    const outside = this.pending === null;
    if (outside) this.checkDataVersion(this.dataVersion.get());
    const known = outside ? this.knownFills.get(accountId) : undefined;
    if (known !== undefined && this.highRowId !== null && afterRowId >= known.from) return this.knownFillsSince(known, fromIso, afterRowId, this.highRowId);
    const lastRowId = this.maxRowId.get()?.m ?? 0;
    const fills: Fill[] = [];
    const rows = afterRowId === 0 ? this.filledRowsSince.iterate(fromIso, accountId) : this.filledRows.iterate(afterRowId, accountId, fromIso);
    for (const row of rows) {
      if (row.id > lastRowId) continue;
      for (const f of fromJsonText<Fill[]>(row.fills)) if (normaliseTimestamp(f.time) >= fromIso) fills.push(f);
    }
    if (outside) {
      // data_version was read before MAX(id): a commit by another connection in between is seen by the next read, which forgets this.
      this.highRowId = lastRowId;
      if (!this.knownFills.has(accountId) && this.knownFills.size >= ACCOUNTS_KEPT) this.knownFills.delete(this.knownFills.keys().next().value as string);
      this.knownFills.set(accountId, { from: lastRowId, rows: [] });
    }
    return { fills, lastRowId };
  }

  private knownFillsSince(known: KnownFills, fromIso: string, afterRowId: number, lastRowId: number): { fills: Fill[]; lastRowId: number } {
    // Rows up to the caller's mark are not asked for again (the caller's mark only grows): forgotten.
    let read = 0;
    while (read < known.rows.length && (known.rows[read] as HistoryRow).id <= afterRowId) read++;
    if (read > 0) known.rows.splice(0, read);
    known.from = Math.max(known.from, afterRowId);
    const fills: Fill[] = [];
    for (const row of known.rows) if (row.updated_at >= fromIso) this.parsed.fillsFrom(row, fromIso, fillTime, fills);
    return { fills, lastRowId };
  }

  /** When an order with this risk key was last placed, at or before `toIso`; null if never. */
  lastPlacedWithKey(riskKey: string, toIso: string): string | null {
    return this.lastWithKey.get(riskKey, toIso)?.created_at ?? null;
  }

  /**
   * Latest version of each order, newest order first. Orders are found by
   * their first version `f` (the indexes by creation time and broker
   * identity hold first versions only: migration 11), then joined to their
   * latest version `h`, which the other filters are on. Both columns are the
   * same on every version of an order; the filters name both rows anyway.
   */
  list(q: OrderListFilter, scope?: OrderScope): OrderDetail[] {
    const where = ['f.version = 1'];
    const params: Array<string | number> = [];
    if (scope) {
      // On the first version too: orders of other brokers are passed over before their latest version is looked up.
      where.push('(f.broker_identity IN (SELECT value FROM json_each(?)) OR f.broker_identity IS NULL)', IN_SCOPE);
      params.push(JSON.stringify(scope.identities), ...scopeParams(scope));
    }
    where.push(LATEST);
    const status = q.status ?? 'all';
    if (status === 'open') where.push(`h.status NOT IN (${TERMINAL_SQL})`);
    if (status === 'closed') where.push(`h.status IN (${TERMINAL_SQL})`);
    if (q.symbol !== undefined) {
      where.push('h.symbol = ?');
      params.push(q.symbol.toUpperCase());
    }
    if (q.since !== undefined) {
      const since = normaliseTimestamp(q.since);
      where.push('f.created_at >= ?', 'h.created_at >= ?');
      params.push(since, since);
    }
    if (q.account !== undefined) {
      where.push('h.account_id = ?');
      params.push(q.account);
    }
    if (q.brokerIdentity !== undefined) {
      where.push('f.broker_identity = ?', 'h.broker_identity = ?');
      params.push(q.brokerIdentity, q.brokerIdentity);
    }
    const sql = `SELECT ${H_COLUMNS} FROM order_history f JOIN order_history h ON h.order_id = f.order_id WHERE ${where.join(' AND ')} ORDER BY f.created_at DESC, f.order_id DESC LIMIT ?`;
    let st = this.lists.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.lists.set(sql, st);
    }
    return (st.all(...params, q.limit ?? 100) as HistoryRow[]).map(toOrderDetail);
  }

  maxNumericOrderId(): number {
    return this.maxNumeric.get()?.m ?? 0;
  }
}
