/**
 * Connecting to PostgreSQL. The `pg` driver is imported dynamically, only when
 * DATABASE_URL is set, so a library client on the simulator never loads it.
 * bigint columns (ids, sequences) are read back as JavaScript numbers: they
 * stay far below 2^53, and the hashes cover numbers, as SQLite returns them.
 */
import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { AuditError, GatewayError } from '../../errors.js';

/** A pool, a pool client or a plain client: anything with query(). */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export type { Pool, PoolClient };

type PgModule = typeof import('pg');
let loaded: Promise<PgModule> | null = null;

/** The driver, loaded on first use. */
export async function loadPg(): Promise<PgModule> {
  loaded ??= import('pg').then((m) => ('default' in m ? (m.default as PgModule) : m));
  return loaded;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export interface PoolOptions {
  /** Connections per process (default 10). */
  max?: number;
  /** How long to wait for a connection before failing (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity: which gateway a connection belongs to. */
  applicationName?: string;
}

export async function createPool(url: string, options: PoolOptions = {}): Promise<Pool> {
  const pg = await loadPg();
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'ibkr-gateway',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool(config);
  // An idle connection that the server drops (restart, outage) must not crash the process;
  // the next query reconnects or fails with AUDIT_UNAVAILABLE.
  pool.on('error', () => undefined);
  return pool;
}

/** The SQLSTATE of a PostgreSQL error, or null. */
export function pgCode(err: unknown): string | null {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) return err.code;
  return null;
}

export const UNIQUE_VIOLATION = '23505';

/** Every failure of the PostgreSQL store leaves as an AuditError (AUDIT_UNAVAILABLE), domain errors unchanged. */
export function toPgAuditError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = pgCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  return new AuditError(`Audit store (PostgreSQL) unavailable while trying to ${what}: ${reason}`, 'AUDIT_UNAVAILABLE', code ? { pgCode: code } : undefined, {
    cause: err,
  });
}

export async function guardPg<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toPgAuditError(err, what);
  }
}

/** Runs `fn` on one connection of the pool (a transaction must not hop between connections). */
export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}
