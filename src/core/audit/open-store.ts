/**
 * Which store a process uses: PostgreSQL when DATABASE_URL is set (shared by
 * every gateway that names it), otherwise DATA_DIR/audit.db. The PostgreSQL
 * store and its driver are imported only in the first case, so a library
 * client on the simulator never loads them.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Checkpoint } from './checkpoints.js';
import { openAuditStore } from './sqlite/store.js';
import type { AuditStore } from './types.js';

export interface OpenedStore extends AuditStore {
  /** Why writes are refused (tamper, a missing or different HMAC key), or null. */
  readonly writeBlock: string | null;
}

export interface OpenStoreOptions {
  clock?: Clock;
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  onCheckpointError?: (err: unknown) => void;
  /** Shown in PostgreSQL's pg_stat_activity. */
  applicationName?: string;
}

export async function openConfiguredStore(config: Pick<Config, 'dataDir' | 'auditHmacKey' | 'databaseUrl'>, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  if (config.databaseUrl !== null) {
    const { openPostgresStore } = await import('./postgres/store.js');
    return openPostgresStore({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      hmacKey: config.auditHmacKey,
      clock: options.clock,
      applicationName: options.applicationName,
      onCheckpoint: options.onCheckpoint,
      onCheckpointError: options.onCheckpointError,
    });
  }
  return openAuditStore({ dataDir: config.dataDir, hmacKey: config.auditHmacKey, clock: options.clock, onCheckpoint: options.onCheckpoint, onCheckpointError: options.onCheckpointError });
}
