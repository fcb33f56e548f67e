/**
 * Versioned schema migrations, applied in order at open and recorded in
 * schema_migrations. A migration is never edited once released: a change is a
 * new entry at the end. Opening is idempotent (applied versions are skipped)
 * and safe when two processes open the same file at once (the check and the
 * apply share one BEGIN IMMEDIATE transaction).
 */
import type Database from 'better-sqlite3';
import { AuditError } from '../../errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Triggers that make a table append-only in the database itself, not by convention. */
const appendOnly = (table: string): string => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only: UPDATE refused'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only: DELETE refused'); END;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'audit_log, order_history, idempotency_keys, state, chain_heads',
    sql: `
CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY,
  correlation_id  TEXT NOT NULL,
  timestamp       TEXT NOT NULL,            -- UTC ISO 8601 with milliseconds, so text order is time order
  event_type      TEXT NOT NULL,
  event_data      TEXT NOT NULL,            -- canonical JSON
  user_context    TEXT NOT NULL,            -- canonical JSON: interface and API key name, never the key
  account_id      TEXT,
  order_id        TEXT,
  symbol          TEXT,                     -- derived from event_data at append time, for queries
  config_snapshot TEXT,                     -- canonical JSON or NULL
  prev_hash       TEXT NOT NULL,
  hash            TEXT NOT NULL
);
CREATE INDEX audit_log_order       ON audit_log(order_id, id);
CREATE INDEX audit_log_correlation ON audit_log(correlation_id, id);
CREATE INDEX audit_log_account     ON audit_log(account_id, id);
CREATE INDEX audit_log_event_type  ON audit_log(event_type, id);
CREATE INDEX audit_log_timestamp   ON audit_log(timestamp);
CREATE INDEX audit_log_symbol      ON audit_log(symbol, id);
${appendOnly('audit_log')}

CREATE TABLE order_history (
  id                 INTEGER PRIMARY KEY,
  order_id           TEXT NOT NULL,
  version            INTEGER NOT NULL,
  client_order_id    TEXT,
  parent_order_id    TEXT,
  role               TEXT NOT NULL,
  account_id         TEXT,
  con_id             INTEGER,
  symbol             TEXT NOT NULL,
  status             TEXT NOT NULL,
  spec               TEXT NOT NULL,         -- canonical JSON
  filled_quantity    REAL NOT NULL,
  remaining_quantity REAL NOT NULL,
  avg_fill_price     REAL,
  commission         REAL,
  fills              TEXT NOT NULL,         -- canonical JSON array
  status_message     TEXT,
  correlation_id     TEXT NOT NULL,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  audit_id           INTEGER NOT NULL,      -- the audit_log row written in the same transaction
  prev_hash          TEXT NOT NULL,
  hash               TEXT NOT NULL,
  UNIQUE (order_id, version)
);
-- clientOrderId is unique per account for entry orders: the database refuses a
-- second order with the same one even if the caller forgot the idempotency check.
CREATE UNIQUE INDEX order_history_client_order
  ON order_history(ifnull(account_id, ''), client_order_id)
  WHERE client_order_id IS NOT NULL AND version = 1 AND role = 'ENTRY';
CREATE INDEX order_history_created ON order_history(created_at);
${appendOnly('order_history')}

-- The last row of each hash chain. Without it, removing rows from the END of
-- a chain would leave a shorter chain that still verifies.
CREATE TABLE chain_heads (
  chain     TEXT PRIMARY KEY,
  last_id   INTEGER NOT NULL,
  last_hash TEXT NOT NULL
);
CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads
BEGIN SELECT RAISE(ABORT, 'chain_heads rows cannot be deleted'); END;
CREATE TRIGGER chain_heads_forward_only BEFORE UPDATE ON chain_heads
WHEN NEW.last_id <= OLD.last_id
BEGIN SELECT RAISE(ABORT, 'chain_heads can only move forward'); END;

-- Mutable by design: a key moves from in_progress to complete, or is released.
CREATE TABLE idempotency_keys (
  scope        TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('in_progress', 'complete')),
  result       TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE state (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'keyed chains: chain_anchors, state_log, idempotency key owners',
    sql: `
-- Per chain, where HMAC hashing starts and the hash of the plain SHA-256 row
-- before it, MACed under the key (see anchors.ts). Rows are written by the
-- store when it first opens the file with a key, not by this migration.
CREATE TABLE chain_anchors (
  chain        TEXT PRIMARY KEY,
  first_mac_id INTEGER NOT NULL,
  prev_hash    TEXT NOT NULL,
  key_id       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  mac          TEXT NOT NULL
);
${appendOnly('chain_anchors')}

-- The third chain: every change of a named state (the kill switch) and of an
-- idempotency key. The state table of schema 1 is no longer read: its rows
-- are adopted into state_log at the upgrade.
CREATE TABLE state_log (
  id             INTEGER PRIMARY KEY,
  timestamp      TEXT NOT NULL,
  correlation_id TEXT,
  kind           TEXT NOT NULL CHECK (kind IN ('state', 'idempotency')),
  name           TEXT NOT NULL,            -- the state's name, or the idempotency scope
  key            TEXT NOT NULL DEFAULT '', -- the idempotency key ('' for a state)
  change         TEXT NOT NULL CHECK (change IN ('set', 'claimed', 'completed', 'released')),
  owner          TEXT,
  request_hash   TEXT,
  value          TEXT,                     -- the state's JSON, or the stored result
  prev_hash      TEXT NOT NULL,
  hash           TEXT NOT NULL
);
CREATE INDEX state_log_subject ON state_log(kind, name, key, id);
${appendOnly('state_log')}

-- The caller that claimed a key (API key name, or the interface without one).
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
`,
  },
  {
    version: 3,
    name: 'order_history: broker identity, placement sequence and risk key (safety state from the store)',
    // Nullable columns: rows written before this migration keep their hashes
    // (NULL columns are left out of a row's hash). Old rows have no identity;
    // they are treated as belonging to whichever broker manages their account.
    sql: `
ALTER TABLE order_history ADD COLUMN broker_identity TEXT;   -- 'sim:DU1234567', 'tws:127.0.0.1:4002:DU1234567:1'
ALTER TABLE order_history ADD COLUMN placed_seq INTEGER;     -- 1, 2, 3... on the first version of each order the gates let through
ALTER TABLE order_history ADD COLUMN risk_key TEXT;          -- hash of the duplicate-order key, on the same rows
-- Orders placed in a time window: two O(log n) lookups (first and last
-- placed_seq in the window), never a scan of the window.
CREATE INDEX order_history_placed     ON order_history(created_at, placed_seq) WHERE placed_seq IS NOT NULL;
CREATE UNIQUE INDEX order_history_placed_seq ON order_history(placed_seq) WHERE placed_seq IS NOT NULL;
CREATE INDEX order_history_risk_key   ON order_history(risk_key, created_at) WHERE risk_key IS NOT NULL;
CREATE INDEX order_history_identity   ON order_history(broker_identity, order_id);
CREATE INDEX order_history_updated    ON order_history(updated_at);
`,
  },
  {
    version: 4,
    name: 'audit_log: index of order modifications sent, for the order-rate limits',
    // A modification is an order message to IBKR (placeOrder with the order's
    // id), so it counts toward MAX_ORDERS_PER_MINUTE / MAX_ORDERS_PER_DAY like a
    // placement. Its durable record is the audit row written before it is sent;
    // this partial index holds only those rows (event_type in it makes the count
    // a covering-index read), so counting a window reads only the modifications
    // in it, never the rest of the log.
    sql: `
CREATE INDEX audit_log_modifications ON audit_log(timestamp, event_type)
  WHERE event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED');
`,
  },
  {
    version: 5,
    name: 'several gateways: order id sequence, gateway instances, the instance holding each idempotency claim',
    // Mutable by design, outside the chains: a sequence counter and liveness
    // leases say nothing an auditor needs (every order id is in the chained
    // rows; a take-over of a claim is a chained 'claimed' change).
    sql: `
-- The store-wide order id sequence (one row, 'orders'), created on first use
-- above every numeric order id already recorded (see instances.ts).
CREATE TABLE order_id_sequence (
  name    TEXT PRIMARY KEY,
  next_id INTEGER NOT NULL
);

-- One row per running gateway (createCoreClient): renewed within lease_ms, or
-- its in-progress idempotency claims count as abandoned.
CREATE TABLE gateway_instances (
  instance_id  TEXT PRIMARY KEY,
  host_key     TEXT,
  pid          INTEGER NOT NULL,
  lease_ms     INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  ended_at     TEXT
);

ALTER TABLE idempotency_keys ADD COLUMN instance_id TEXT;
`,
  },
  {
    version: 6,
    name: 'desk_exposure: the exposure of each account as its gateway last published it (desk-wide risk limits)',
    // Mutable by design, one row per account, like idempotency_keys but not
    // chained: a snapshot of the broker's book, which the next publication
    // replaces. Amounts are decimal text (summed with decimal.js, never floats).
    sql: `
CREATE TABLE desk_exposure (
  account_id         TEXT PRIMARY KEY,
  broker_identity    TEXT NOT NULL,
  currency           TEXT NOT NULL,
  gross_exposure     TEXT NOT NULL,
  max_gross_exposure TEXT NOT NULL,
  daily_pnl          TEXT,
  max_daily_loss     TEXT NOT NULL,
  published_at       TEXT NOT NULL
);
`,
  },
  {
    version: 7,
    name: 'order_history and audit_log: indexes of placements and modifications by account, for per-account order-rate limits',
    // An account with its own maxOrdersPerMinute/Day (RISK_FILE accounts) counts
    // only its own order messages: a range of these indexes, never the log.
    sql: `
CREATE INDEX order_history_placed_account ON order_history(account_id, created_at) WHERE placed_seq IS NOT NULL;
CREATE INDEX audit_log_modifications_account ON audit_log(account_id, timestamp)
  WHERE event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED');
`,
  },
  {
    version: 8,
    name: 'order_history: index of orders held for approval, for the approvals sweep',
    // The approvals sweep runs every second and asked for every open order: a
    // scan of the whole history (about 100 ms of CPU at 30,000 orders, growing
    // with every order). Only rows held for approval are in this index, so
    // finding the held orders reads those rows, however long the history.
    sql: `
CREATE INDEX order_history_held ON order_history(order_id, version) WHERE status = 'PENDING_APPROVAL';
`,
  },
  {
    version: 9,
    name: 'order_history: the index by updated_at holds only versions with fills',
    // Its one reader is the day's first read of fills (fillsSince), which asks only for versions with
    // fills. Every version of every order had an entry: an order placed and filled in three versions
    // wrote three entries, and at 50 orders/s each in a transaction of its own, a page each. Now only
    // the filled version has one (the index is smaller and the write path touches it once per fill).
    sql: `
DROP INDEX order_history_updated;
CREATE INDEX order_history_filled ON order_history(updated_at) WHERE fills <> '[]';
`,
  },
  {
    version: 10,
    name: 'state_log: the index by subject holds only named states (the kill switch)',
    // Its per-order reader is the kill switch's latest value (a named state). Every idempotency
    // change had an entry too, under a key the client chose (a random place in the B-tree): two
    // entries per order, each a page of WAL in a transaction of its own at 50 orders/s. Their one
    // reader is verify()'s check of idempotency_keys, which walks every change anyway and now
    // finds each key's last change by grouping (key-check.ts), not through this index.
    sql: `
DROP INDEX state_log_subject;
CREATE INDEX state_log_states ON state_log(name, id) WHERE kind = 'state';
`,
  },
  {
    version: 11,
    name: "order_history: the indexes by creation time and by broker identity hold each order's first version only",
    // Both columns are the same on every version of an order (a later version copies them from the
    // one before: row-builders.ts), so an entry per version said nothing new: an order placed and
    // filled in three versions wrote three entries in each, a page of WAL each at 50 orders/s. The
    // list of orders now walks first versions and joins each order's latest (order-history.ts).
    sql: `
DROP INDEX order_history_created;
DROP INDEX order_history_identity;
CREATE INDEX order_history_first_created ON order_history(created_at, order_id) WHERE version = 1;
CREATE INDEX order_history_first_identity ON order_history(broker_identity, created_at, order_id) WHERE version = 1;
`,
  },
  {
    version: 12,
    name: 'audit_log: the index by symbol holds only rows with a symbol',
    // Only events about an instrument carry one (row-builders.ts symbolOf): of a REST order's three
    // rows (ORDER_SUBMITTED, ORDER_ACCEPTED, ORDER_FILLED) the last two have none, and they are written
    // in a transaction of their own after transmit, where a NULL entry was that index's only page of
    // WAL. Its one reader, the log's filter by symbol (symbol = ?), implies symbol IS NOT NULL, so the
    // planner still uses it (symbol-index.test.ts). The log's other indexed columns (order, correlation,
    // account, event type, time) are set on every row of the order path: nothing to leave out there.
    sql: `
DROP INDEX audit_log_symbol;
CREATE INDEX audit_log_symbol_set ON audit_log(symbol, id) WHERE symbol IS NOT NULL;
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Applies every migration not yet recorded; returns the versions applied now. */
export function migrate(db: Database.Database, nowIso: () => string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  // Fast path without the write lock: opening an up-to-date file (the CLI's
  // verify/query/export next to a busy gateway) must not wait for writers.
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined) {
    const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
    if (applied.size === migrations.length && migrations.every((m) => applied.has(m.version))) return [];
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const run = db.transaction((): number[] => {
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
    );
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      // A newer build wrote this file: writing with an older schema could break its invariants.
      throw new AuditError(`audit.db has schema version(s) ${unknown.join(', ')} that this build does not know; upgrade ibkr-gateway`, 'AUDIT_UNAVAILABLE', {
        unknownVersions: unknown,
      });
    }
    const done: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, nowIso());
      done.push(m.version);
    }
    return done;
  });
  return run.immediate();
}
