/**
 * The PostgreSQL schema, versioned like the SQLite one (its own version
 * numbers: this back end starts at the SQLite schema 3's shape). Migrations run
 * at open inside one transaction holding an advisory lock, so two gateways
 * starting on an empty database at once apply them once; a database holding a
 * version this build does not know is refused (a newer build's invariants
 * could be broken by an older writer).
 *
 * Column types keep the values the hashes cover identical to SQLite's: JSON
 * stays canonical TEXT (jsonb would re-encode it), quantities are float8 like
 * SQLite's REAL, ids bigint (read back as numbers, see connection.ts). So a
 * row copied from audit.db (`audit migrate`) keeps its hash.
 *
 * Append-only is enforced by the database: triggers refuse UPDATE, DELETE and
 * TRUNCATE on the chained tables, whoever connects; the README shows the
 * grants for a role that cannot even drop the triggers.
 */
import { AuditError } from '../../errors.js';
import type { Queryable } from './connection.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** The advisory lock key of schema changes (any constant distinct from the write lock's). */
export const MIGRATION_LOCK = 4_242_001;

const appendOnly = (table: string): string => `
CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION ibkr_refuse_change();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ibkr_refuse_change();
`;

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'audit_log, order_history, state_log, chain_heads, chain_anchors, idempotency_keys (append-only by trigger)',
    sql: `
CREATE FUNCTION ibkr_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TABLE audit_log (
  id              bigint PRIMARY KEY,
  correlation_id  text NOT NULL,
  timestamp       text NOT NULL,            -- UTC ISO 8601 with milliseconds, as in SQLite
  event_type      text NOT NULL,
  event_data      text NOT NULL,            -- canonical JSON (the hash covers this text)
  user_context    text NOT NULL,
  account_id      text,
  order_id        text,
  symbol          text,
  config_snapshot text,
  prev_hash       text NOT NULL,
  hash            text NOT NULL
);
CREATE INDEX audit_log_order       ON audit_log(order_id, id);
CREATE INDEX audit_log_correlation ON audit_log(correlation_id, id);
CREATE INDEX audit_log_account     ON audit_log(account_id, id);
CREATE INDEX audit_log_event_type  ON audit_log(event_type, id);
CREATE INDEX audit_log_timestamp   ON audit_log(timestamp);
CREATE INDEX audit_log_symbol      ON audit_log(symbol, id);
${appendOnly('audit_log')}

CREATE TABLE order_history (
  id                 bigint PRIMARY KEY,
  order_id           text NOT NULL,
  version            bigint NOT NULL,
  client_order_id    text,
  parent_order_id    text,
  role               text NOT NULL,
  account_id         text,
  con_id             bigint,
  symbol             text NOT NULL,
  status             text NOT NULL,
  spec               text NOT NULL,
  filled_quantity    double precision NOT NULL,
  remaining_quantity double precision NOT NULL,
  avg_fill_price     double precision,
  commission         double precision,
  fills              text NOT NULL,
  status_message     text,
  correlation_id     text NOT NULL,
  created_at         text NOT NULL,
  updated_at         text NOT NULL,
  audit_id           bigint NOT NULL,
  prev_hash          text NOT NULL,
  hash               text NOT NULL,
  broker_identity    text,
  placed_seq         bigint,
  risk_key           text,
  UNIQUE (order_id, version)
);
-- clientOrderId is unique per account for entry orders, across every gateway on the database.
CREATE UNIQUE INDEX order_history_client_order
  ON order_history(coalesce(account_id, ''), client_order_id)
  WHERE client_order_id IS NOT NULL AND version = 1 AND role = 'ENTRY';
CREATE INDEX order_history_created ON order_history(created_at);
CREATE INDEX order_history_placed ON order_history(created_at, placed_seq) WHERE placed_seq IS NOT NULL;
CREATE UNIQUE INDEX order_history_placed_seq ON order_history(placed_seq) WHERE placed_seq IS NOT NULL;
CREATE INDEX order_history_risk_key ON order_history(risk_key, created_at) WHERE risk_key IS NOT NULL;
CREATE INDEX order_history_identity ON order_history(broker_identity, order_id);
CREATE INDEX order_history_updated ON order_history(updated_at);
${appendOnly('order_history')}

CREATE TABLE state_log (
  id             bigint PRIMARY KEY,
  timestamp      text NOT NULL,
  correlation_id text,
  kind           text NOT NULL CHECK (kind IN ('state', 'idempotency')),
  name           text NOT NULL,
  key            text NOT NULL DEFAULT '',
  change         text NOT NULL CHECK (change IN ('set', 'claimed', 'completed', 'released')),
  owner          text,
  request_hash   text,
  value          text,
  prev_hash      text NOT NULL,
  hash           text NOT NULL
);
CREATE INDEX state_log_subject ON state_log(kind, name, key, id);
${appendOnly('state_log')}

CREATE TABLE chain_anchors (
  chain        text PRIMARY KEY,
  first_mac_id bigint NOT NULL,
  prev_hash    text NOT NULL,
  key_id       text NOT NULL,
  created_at   text NOT NULL,
  mac          text NOT NULL
);
${appendOnly('chain_anchors')}

-- The last row of each chain: without it, rows removed from the end would leave a chain that still verifies.
CREATE TABLE chain_heads (
  chain     text PRIMARY KEY,
  last_id   bigint NOT NULL,
  last_hash text NOT NULL
);
CREATE FUNCTION ibkr_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_id <= OLD.last_id THEN
    RAISE EXCEPTION 'chain_heads can only move forward' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER chain_heads_forward_only BEFORE UPDATE ON chain_heads
  FOR EACH ROW EXECUTE FUNCTION ibkr_heads_forward_only();
CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads
  FOR EACH ROW EXECUTE FUNCTION ibkr_refuse_change();
CREATE TRIGGER chain_heads_no_truncate BEFORE TRUNCATE ON chain_heads
  FOR EACH STATEMENT EXECUTE FUNCTION ibkr_refuse_change();

-- Mutable by design (claimed -> complete, or released); every change is also a chained state_log row.
CREATE TABLE idempotency_keys (
  scope        text NOT NULL,
  key          text NOT NULL,
  owner        text,
  request_hash text NOT NULL,
  state        text NOT NULL CHECK (state IN ('in_progress', 'complete')),
  result       text,
  created_at   text NOT NULL,
  updated_at   text NOT NULL,
  PRIMARY KEY (scope, key)
);
`,
  },
  {
    version: 2,
    name: 'audit_log: index of order modifications sent, for the order-rate limits',
    // A modification is an order message to IBKR, so it counts toward the
    // order-rate limits like a placement (as in the SQLite migration 4); the
    // partial index holds only those rows, so counting a window reads only the
    // modifications in it (an index-only scan), never the rest of the log.
    sql: `
CREATE INDEX audit_log_modifications ON audit_log(timestamp, event_type)
  WHERE event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED');
`,
  },
  {
    version: 3,
    name: 'several gateways: order id sequence, gateway instances, the instance holding each idempotency claim',
    // As SQLite migration 5. Mutable by design, outside the chains: every order
    // id is in the chained rows, and a take-over of a claim is a chained
    // 'claimed' change. Heartbeats use the server's clock (timestamptz), so
    // gateways on machines whose clocks differ judge each other's leases alike.
    sql: `
CREATE TABLE order_id_sequence (
  name    text PRIMARY KEY,
  next_id bigint NOT NULL
);

CREATE TABLE gateway_instances (
  instance_id  text PRIMARY KEY,
  host_key     text,
  pid          integer NOT NULL,
  lease_ms     integer NOT NULL,
  started_at   timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  ended_at     timestamptz
);

ALTER TABLE idempotency_keys ADD COLUMN instance_id text;
`,
  },
  {
    version: 4,
    name: 'desk_exposure: the exposure of each account as its gateway last published it (desk-wide risk limits)',
    // As the SQLite migration 6: mutable by design (no append-only trigger),
    // one row per account, the newest publication wins.
    sql: `
CREATE TABLE desk_exposure (
  account_id         text PRIMARY KEY,
  broker_identity    text NOT NULL,
  currency           text NOT NULL,
  gross_exposure     text NOT NULL,
  max_gross_exposure text NOT NULL,
  daily_pnl          text,
  max_daily_loss     text NOT NULL,
  published_at       text NOT NULL
);
`,
  },
  {
    version: 5,
    name: 'order_history and audit_log: indexes of placements and modifications by account, for per-account order-rate limits',
    // As the SQLite migration 7.
    sql: `
CREATE INDEX order_history_placed_account ON order_history(account_id, created_at) WHERE placed_seq IS NOT NULL;
CREATE INDEX audit_log_modifications_account ON audit_log(account_id, timestamp)
  WHERE event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED');
`,
  },
  {
    version: 6,
    name: 'order_history: index of orders held for approval, for the approvals sweep',
    // As SQLite migration 8: the sweep runs every second and must not scan the history.
    sql: `
CREATE INDEX order_history_held ON order_history(order_id, version) WHERE status = 'PENDING_APPROVAL';
`,
  },
  {
    version: 7,
    name: 'audit_log: the index by symbol holds only rows with a symbol',
    // As SQLite migration 12: two of a REST order's three audit rows have no symbol; the filter by
    // symbol (symbol = $n) implies symbol IS NOT NULL, so it still reads this index.
    sql: `
DROP INDEX audit_log_symbol;
CREATE INDEX audit_log_symbol_set ON audit_log(symbol, id) WHERE symbol IS NOT NULL;
`,
  },
];

export const PG_LATEST_SCHEMA_VERSION = PG_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Applies every migration not yet recorded; returns the versions applied now. `db`: one connection, never a pool (it is one transaction). */
export async function migratePostgres(db: Queryable, nowIso: () => string, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number[]> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Checked first: a gateway role without CREATE on the schema (README) must still open a migrated database.
    const exists = (await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t")).rows[0]?.t ?? null;
    if (exists === null) await db.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
    const applied = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new AuditError(`the PostgreSQL store has schema version(s) ${unknown.join(', ')} that this build does not know; upgrade ibkr-gateway`, 'AUDIT_UNAVAILABLE', {
        unknownVersions: unknown,
      });
    }
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await db.query(m.sql);
      await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, nowIso()]);
      done.push(m.version);
    }
    await db.query('COMMIT');
    return done;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
