/**
 * Several gateways on one PostgreSQL database: the store-wide order id
 * sequence and the gateway instance leases (migration 3 says why both live
 * outside the chains). A reservation runs inside the locked write transaction,
 * so reservations of every gateway are serialised; leases are stamped and
 * judged by the server's clock, never a gateway's.
 */
import { randomUUID } from 'node:crypto';
import type { ClaimHolder, InstanceInfo } from '../types.js';
import type { Queryable } from './connection.js';

const SEQUENCE = 'orders';

/** Inside a write transaction. `highestRecorded`: read only when the sequence has no row yet (a store from before it). */
export async function reserveIds(client: Queryable, count: number, floor: number, highestRecorded: () => Promise<number>): Promise<number> {
  // One round trip when the sequence exists: the UPDATE locks the row, moves it and says where it went.
  const bumped = (await client.query<{ next_id: string }>('UPDATE order_id_sequence SET next_id = GREATEST(next_id, $2, 1) + $3 WHERE name = $1 RETURNING next_id', [SEQUENCE, floor, count])).rows[0];
  if (bumped !== undefined) return Number(bumped.next_id) - count;
  const first = Math.max((await highestRecorded()) + 1, floor, 1);
  await client.query('INSERT INTO order_id_sequence (name, next_id) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET next_id = excluded.next_id', [SEQUENCE, first + count]);
  return first;
}

export async function registerInstance(db: Queryable, info: InstanceInfo): Promise<string> {
  const id = randomUUID();
  await db.query('INSERT INTO gateway_instances (instance_id, host_key, pid, lease_ms, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, now(), now())', [
    id,
    info.hostKey,
    info.pid,
    info.leaseMs,
  ]);
  return id;
}

export async function heartbeatInstance(db: Queryable, instanceId: string): Promise<void> {
  await db.query('UPDATE gateway_instances SET heartbeat_at = clock_timestamp() WHERE instance_id = $1', [instanceId]);
}

export async function endInstance(db: Queryable, instanceId: string): Promise<void> {
  await db.query('UPDATE gateway_instances SET ended_at = clock_timestamp() WHERE instance_id = $1', [instanceId]);
}

interface InstanceRow {
  host_key: string | null;
  pid: number;
  lease_ms: number;
  age_ms: number;
  ended: boolean;
}

/** Who holds a claim stamped `instanceId`, judged by the server's clock now. */
export async function claimHolder(db: Queryable, instanceId: string | null): Promise<ClaimHolder> {
  if (instanceId === null) return { instanceId: null, alive: null };
  const row = (
    await db.query<InstanceRow>(
      'SELECT host_key, pid, lease_ms, (extract(epoch FROM clock_timestamp() - heartbeat_at) * 1000)::float8 AS age_ms, ended_at IS NOT NULL AS ended FROM gateway_instances WHERE instance_id = $1',
      [instanceId],
    )
  ).rows[0];
  if (row === undefined) return { instanceId, alive: null };
  return { instanceId, alive: { hostKey: row.host_key, pid: Number(row.pid), leaseMs: Number(row.lease_ms), heartbeatAgeMs: Number(row.age_ms), ended: row.ended } };
}
