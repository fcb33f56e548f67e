/**
 * This gateway as one instance among several on a shared store (issue 24).
 *
 * An idempotency claim names the instance that holds it. Another gateway may
 * treat a claim as abandoned (and settle it from the log, or redo the request)
 * only when its holder is certainly not working on it any more:
 *
 * - the holder ended cleanly (its row says so), or its row is gone;
 * - its lease ran out: no heartbeat for longer than the lease it registered,
 *   measured by the store's clock (PostgreSQL: the server's), so the gateways'
 *   own clocks never enter it;
 * - or it ran on this machine, in this process namespace, and its process no
 *   longer exists (a crash and restart is recovered at once, as before).
 *
 * The other side of the lease: this instance refuses to transmit once its
 * own last successful heartbeat is older than half the lease (assertLease),
 * so no other gateway can judge it gone while it may still send.
 *
 * A claim made without an instance (written before instances were recorded)
 * keeps the old rule: abandoned when older than this process's start.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AuditStore, ClaimHolder } from './audit/types.js';
import { AuditError } from './errors.js';
import type { Logger } from './logging.js';

/** Default lease: renewed every third of it, so two heartbeats may be lost before it runs out. */
export const INSTANCE_LEASE_MS = 15_000;

/**
 * Which machine and process namespace this is (Linux: the boot id and the pid
 * namespace), so a pid is only ever checked where it means the same process;
 * null elsewhere, and then only leases decide.
 */
export function localHostKey(): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    return boot !== '' && pidNamespace !== '' ? `${boot}:${pidNamespace}` : null;
  } catch {
    return null;
  }
}

/** True unless the process certainly does not exist (EPERM: it exists, someone else's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export interface InstanceOptions {
  leaseMs?: number;
  logger: Logger;
  /** When this client started (its clock, ms): the rule for claims without an instance. */
  startedAt: number;
}

export class GatewayInstance {
  private lastBeat: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    private readonly store: AuditStore,
    readonly id: string,
    readonly hostKey: string | null,
    readonly leaseMs: number,
    private readonly options: InstanceOptions,
  ) {
    this.lastBeat = performance.now();
  }

  /** Registers this instance in the store and keeps its lease renewed until stop(). */
  static async start(store: AuditStore, options: InstanceOptions): Promise<GatewayInstance> {
    const leaseMs = options.leaseMs ?? INSTANCE_LEASE_MS;
    const hostKey = localHostKey();
    const sentAt = performance.now();
    const id = await store.registerInstance({ hostKey, pid: process.pid, leaseMs });
    const instance = new GatewayInstance(store, id, hostKey, leaseMs, options);
    instance.lastBeat = sentAt;
    instance.timer = setInterval(() => void instance.beat(), Math.max(10, Math.floor(leaseMs / 3)));
    instance.timer.unref();
    return instance;
  }

  private async beat(): Promise<void> {
    // Counted from when it was sent: the store stamps it later, never earlier.
    const sentAt = performance.now();
    try {
      await this.store.heartbeatInstance();
      this.lastBeat = Math.max(this.lastBeat, sentAt);
    } catch (err) {
      if (!this.stopped) this.options.logger.warn({ err }, 'gateway instance heartbeat failed; orders are refused if the lease runs short');
    }
  }

  /** Throws AUDIT_UNAVAILABLE when the lease may be running out: another gateway could soon take this one's claims. */
  assertLease(): void {
    const age = performance.now() - this.lastBeat;
    if (age > this.leaseMs / 2) {
      throw new AuditError(`This gateway could not renew its instance lease in the store for ${Math.round(age)} ms, so nothing was sent; it recovers when the store answers again`, 'AUDIT_UNAVAILABLE', {
        leaseMs: this.leaseMs,
      });
    }
  }

  /** True when an in-progress claim's holder is certainly no longer working on it (see the top of this file). */
  holderGone(holder: ClaimHolder | undefined, since: string | undefined): boolean {
    if (holder === undefined || holder.instanceId === null) return since !== undefined && Date.parse(since) < this.options.startedAt;
    if (holder.instanceId === this.id) return false;
    const alive = holder.alive;
    if (alive === null || alive.ended || alive.heartbeatAgeMs > alive.leaseMs) return true;
    return alive.hostKey !== null && alive.hostKey === this.hostKey && alive.pid !== process.pid && !processExists(alive.pid);
  }

  /** Stops renewing and marks the instance ended: its claims (none should be left) are free at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.store.endInstance().catch((err: unknown) => this.options.logger.warn({ err }, 'could not mark the gateway instance ended; its lease runs out instead'));
  }
}
