/**
 * Opening audit.db: private file modes, pragmas, migrations, the HMAC key,
 * the one-time HMAC upgrade (anchors), and the check against the last
 * checkpoint that decides whether the store may write.
 */
import { mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { type Clock, isoNow, systemClock } from '../../clock.js';
import { anchorProblem, type StoredAnchor } from '../anchors.js';
import { ChainAnchors } from './anchors.js';
import { CHAINS, type ChainName, Sealer } from '../chain.js';
import { ChainHeads } from './chain-heads.js';
import { sqliteChainRows } from './chain-rows.js';
import { checkAgainstDatabase, checkpointPath, parseCheckpoint, readLastCheckpointLine } from '../checkpoints.js';
import { type AuditKey, auditKeyPath, generateKeyFile, keyFromText, readKeyFile } from '../key.js';
import { migrate } from './migrations.js';
import { preparePrivateSqlite, tightenMode } from '../private-files.js';
import { StateLog } from './state-log.js';

export interface OpenOptions {
  /** Directory holding audit.db (and audit.key, audit.checkpoints); created if missing. */
  dataDir: string;
  clock?: Clock;
  /** FULL (default): durable against power loss. NORMAL: durable against a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
  /** AUDIT_HMAC_KEY; default: DATA_DIR/audit.key, generated on first start. */
  hmacKey?: string | null;
}

export interface OpenedDatabase {
  db: Database.Database;
  path: string;
  sealer: Sealer | null;
  writeBlock: string | null;
}

const SQLITE_SIDE_FILES = ['-wal', '-shm'];

export function openAuditDatabase(options: OpenOptions, path: string): OpenedDatabase {
  mkdirSync(options.dataDir, { recursive: true });
  // SQLite gives -wal and -shm the database file's mode when it creates them.
  preparePrivateSqlite(path);
  const db = new Database(path);
  try {
    // busy_timeout first: switching to WAL and migrating may wait for another process.
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 10_000))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch audit.db to WAL (journal_mode=${String(mode)})`);
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // Statement and savepoint journals in memory: an order's first version touches about 17 pages inside its
    // write's SAVEPOINT, past the 64 KiB after which SQLite spills that journal to a temporary file (created,
    // unlinked and written on every placement). It only ever serves a rollback inside this process; WAL keeps crash safety.
    db.pragma('temp_store = MEMORY');
    const now = (): string => isoNow(options.clock ?? systemClock);
    migrate(db, now);
    for (const suffix of SQLITE_SIDE_FILES) tightenMode(`${path}${suffix}`);

    const anchorTable = new ChainAnchors(db);
    let anchors = anchorTable.all();
    const key = resolveKey(options, anchors.size > 0);
    const sealer = key === null ? null : new Sealer(key);
    if (sealer !== null && anchors.size === 0) {
      // The HMAC upgrade, once per file: a new file anchors at row 1, a schema-1 file after its last row.
      db.transaction(() => {
        const heads = new ChainHeads(db);
        if (anchorTable.all().size > 0) return; // another process upgraded it first
        anchorTable.anchorMissing(heads, sealer, now());
        new StateLog(db, heads).adoptExisting(sealer, now());
      }).immediate();
      anchors = anchorTable.all();
    }
    return { db, path, sealer, writeBlock: writeBlock(db, options, anchors, sealer) };
  } catch (err) {
    db.close();
    throw err;
  }
}

function resolveKey(options: OpenOptions, sealed: boolean): AuditKey | null {
  if (options.hmacKey !== undefined && options.hmacKey !== null && options.hmacKey.trim() !== '') return keyFromText(options.hmacKey, 'AUDIT_HMAC_KEY');
  const fromFile = readKeyFile(options.dataDir);
  if (fromFile !== null) return fromFile;
  // A sealed file without its key: generating a new one would only make every later row unverifiable.
  if (sealed) return null;
  return generateKeyFile(options.dataDir);
}

/** Why this store must not write, or null. */
function writeBlock(db: Database.Database, options: OpenOptions, anchors: ReadonlyMap<ChainName, StoredAnchor>, sealer: Sealer | null): string | null {
  const first = [...anchors.values()][0];
  if (sealer === null) {
    return `the audit HMAC key is missing: ${auditKeyPath(options.dataDir)} does not exist and AUDIT_HMAC_KEY is not set, but audit.db was sealed with key ${first?.keyId ?? '?'}; restore the key`;
  }
  for (const chain of CHAINS) {
    const anchor = anchors.get(chain);
    if (anchor === undefined) return `chain_anchors has no record for ${chain}: the HMAC upgrade record was deleted; run ibkr-gateway audit verify`;
    const problem = anchorProblem(anchor, sealer);
    if (problem !== null) return `${chain}: ${problem}`;
  }
  const line = readLastCheckpointLine(checkpointPath(options.dataDir));
  if (line === null) return null;
  const cp = parseCheckpoint(line, sealer);
  if (cp === null) return null;
  if (typeof cp === 'string') return `${cp}; run ibkr-gateway audit verify`;
  const check = db.transaction(() => checkAgainstDatabase(sqliteChainRows(db), line, cp, anchors)).deferred();
  return check.ok ? null : `audit.db no longer matches its last checkpoint: ${check.reason ?? ''}; run ibkr-gateway audit verify`;
}
