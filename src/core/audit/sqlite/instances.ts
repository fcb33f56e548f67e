/**
 * Several gateways on one SQLite file (two processes, one DATA_DIR): the
 * store-wide order id sequence and the gateway instance leases. Both are
 * plain mutable tables outside the chains (migration 5 says why); every
 * method runs inside the store's IMMEDIATE write transaction, so a
 * reservation is atomic across processes sharing the file.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ClaimHolder, InstanceInfo } from '../types.js';

const SEQUENCE = 'orders';

interface InstanceRow {
  host_key: string | null;
  pid: number;
  lease_ms: number;
  heartbeat_at: string;
  ended_at: string | null;
}

export class InstanceTables {
  private readonly bumpNext: Database.Statement<[number, number, string], { next_id: number }>;
  private readonly writeNext: Database.Statement<[string, number]>;
  private readonly insert: Database.Statement<[string, string | null, number, number, string, string]>;
  private readonly beat: Database.Statement<[string, string]>;
  private readonly end: Database.Statement<[string, string]>;
  private readonly read: Database.Statement<[string], InstanceRow>;

  constructor(db: Database.Database) {
    // The reservation in one statement (a read and a write per order before transmit, before).
    this.bumpNext = db.prepare('UPDATE order_id_sequence SET next_id = max(next_id, ?, 1) + ? WHERE name = ? RETURNING next_id');
    this.writeNext = db.prepare('INSERT INTO order_id_sequence (name, next_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET next_id = excluded.next_id');
    this.insert = db.prepare('INSERT INTO gateway_instances (instance_id, host_key, pid, lease_ms, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.beat = db.prepare('UPDATE gateway_instances SET heartbeat_at = ? WHERE instance_id = ?');
    this.end = db.prepare('UPDATE gateway_instances SET ended_at = ? WHERE instance_id = ?');
    this.read = db.prepare('SELECT host_key, pid, lease_ms, heartbeat_at, ended_at FROM gateway_instances WHERE instance_id = ?');
  }

  /** Inside a write transaction. `highestRecorded`: read only when the sequence has no row yet (a store from before it). */
  reserve(count: number, floor: number, highestRecorded: () => number): number {
    const bumped = this.bumpNext.get(floor, count, SEQUENCE);
    if (bumped !== undefined) return bumped.next_id - count;
    const first = Math.max(highestRecorded() + 1, floor, 1);
    this.writeNext.run(SEQUENCE, first + count);
    return first;
  }

  /** Inside a write transaction. */
  register(info: InstanceInfo, now: string): string {
    const id = randomUUID();
    this.insert.run(id, info.hostKey, info.pid, info.leaseMs, now, now);
    return id;
  }

  /** Inside a write transaction. */
  heartbeat(instanceId: string, now: string): void {
    this.beat.run(now, instanceId);
  }

  /** Inside a write transaction. */
  markEnded(instanceId: string, now: string): void {
    this.end.run(now, instanceId);
  }

  /** Who holds a claim stamped `instanceId`, judged at `now` (the store's clock: one machine shares one). */
  holder(instanceId: string | null, now: string): ClaimHolder {
    if (instanceId === null) return { instanceId: null, alive: null };
    const row = this.read.get(instanceId);
    if (!row) return { instanceId, alive: null };
    return {
      instanceId,
      alive: {
        hostKey: row.host_key,
        pid: row.pid,
        leaseMs: row.lease_ms,
        heartbeatAgeMs: Date.parse(now) - Date.parse(row.heartbeat_at),
        ended: row.ended_at !== null,
      },
    };
  }
}
