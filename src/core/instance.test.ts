/**
 * When another gateway's idempotency claim counts as abandoned, and when this
 * gateway stops sending because its own lease runs short. Real SQLite store,
 * real processes for the pid rule.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from './audit/sqlite/store.js';
import type { AuditStore, ClaimHolder, InstanceLiveness } from './audit/types.js';
import { GatewayInstance, localHostKey } from './instance.js';
import { silentLogger } from './logging.js';
import { tempDir } from '../testing/audit/samples.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(leaseMs = 60_000, startedAt = Date.now()): Promise<{ store: AuditStore; instance: GatewayInstance }> {
  const { dir, cleanup } = tempDir();
  const store = openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
  const instance = await GatewayInstance.start(store, { leaseMs, logger: silentLogger(), startedAt });
  cleanups.push(cleanup, () => store.close(), () => instance.stop());
  return { store, instance };
}

const alive = (over: Partial<InstanceLiveness> = {}): InstanceLiveness => ({ hostKey: 'elsewhere', pid: 1, leaseMs: 10_000, heartbeatAgeMs: 50, ended: false, ...over });
const held = (over: Partial<InstanceLiveness> = {}): ClaimHolder => ({ instanceId: 'other', alive: alive(over) });

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid ?? 0;
}

describe('a claim held by another instance', () => {
  it('is live while its holder renews its lease, wherever it runs', async () => {
    const { instance } = await started();
    expect(instance.holderGone(held(), '2026-01-01T00:00:00.000Z')).toBe(false);
    expect(instance.holderGone(held({ hostKey: null }), '2026-01-01T00:00:00.000Z')).toBe(false);
  });

  it('is abandoned once its holder ended, its row is gone, or its lease ran out', async () => {
    const { instance } = await started();
    expect(instance.holderGone(held({ ended: true }), undefined)).toBe(true);
    expect(instance.holderGone({ instanceId: 'vanished', alive: null }, undefined)).toBe(true);
    expect(instance.holderGone(held({ heartbeatAgeMs: 10_001 }), undefined)).toBe(true);
  });

  it('on this machine, is abandoned as soon as its process is gone, and live while it runs', async () => {
    const { instance } = await started();
    const here = localHostKey();
    if (here === null) return; // not Linux: only leases decide, tested above
    expect(instance.holderGone(held({ hostKey: here, pid: await deadPid() }), undefined)).toBe(true);
    expect(instance.holderGone(held({ hostKey: here, pid: process.ppid }), undefined)).toBe(false);
    // The same pid number on another machine (or in another pid namespace) says nothing.
    expect(instance.holderGone(held({ hostKey: 'other-machine', pid: await deadPid() }), undefined)).toBe(false);
  });

  it('of this instance itself is a request still in flight here', async () => {
    const { instance } = await started();
    expect(instance.holderGone({ instanceId: instance.id, alive: alive({ ended: true }) }, undefined)).toBe(false);
  });

  it('made without an instance (before instances were recorded) is abandoned only if older than this client', async () => {
    const startedAt = Date.parse('2026-06-01T12:00:00.000Z');
    const { instance } = await started(60_000, startedAt);
    const legacy = { instanceId: null, alive: null };
    expect(instance.holderGone(legacy, '2026-06-01T11:59:59.999Z')).toBe(true);
    expect(instance.holderGone(legacy, '2026-06-01T12:00:00.000Z')).toBe(false);
    expect(instance.holderGone(undefined, '2026-06-01T11:00:00.000Z')).toBe(true);
  });
});

describe("this instance's own lease", () => {
  it('is renewed by heartbeats, so orders may be sent', async () => {
    const { instance } = await started(600);
    await new Promise((r) => setTimeout(r, 900));
    expect(() => instance.assertLease()).not.toThrow();
  });

  it('refuses sending (AUDIT_UNAVAILABLE) once heartbeats fail for half the lease', async () => {
    const { store, instance } = await started(200);
    await store.close(); // every heartbeat now fails
    await new Promise((r) => setTimeout(r, 250));
    expect(() => instance.assertLease()).toThrow(expect.objectContaining({ code: 'AUDIT_UNAVAILABLE' }) as Error);
  });
});
