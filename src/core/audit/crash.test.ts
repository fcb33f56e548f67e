/**
 * Crash safety with group commit: a child process records orders in bursts of
 * 1-32 asked for in one event-loop turn (so they share one transaction and one
 * fsync) and prints each order id once its own recordOrder() promise has
 * resolved; it is killed with SIGKILL at random moments (during start-up and
 * migration, or mid-burst). After every kill the chains verify and every
 * acknowledged order is in the log and order_history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditQuery } from '../models.js';
import { openAuditStore } from './sqlite/store.js';
import { runFixture } from '../../testing/audit/children.js';
import { compileAudit } from '../../testing/audit/compile-audit.mjs';
import { tempDir } from '../../testing/audit/samples.js';
import type { AuditStore } from './types.js';

const ROUNDS = 24;

let modulePath: string;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  modulePath = compileAudit(`crash-${process.pid}`);
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function loggedOrderIds(store: AuditStore): Promise<Set<string>> {
  const ids = new Set<string>();
  let afterId: number | undefined;
  for (;;) {
    const page = await store.query(AuditQuery.parse({ afterId, limit: 1000 }));
    for (const e of page.entries) if (e.orderId !== null) ids.add(e.orderId);
    if (page.nextAfterId === null) return ids;
    afterId = page.nextAfterId;
  }
}

describe('SIGKILL at random moments', () => {
  it(`loses no acknowledged order and keeps the chain intact over ${ROUNDS} kills`, async () => {
    const acknowledged: string[] = [];
    const log: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const run = runFixture('crash-writer.mjs', [modulePath, dir, `r${round}`]);
      // Every fourth round dies during start-up (open, WAL switch, migrations); the rest mid-loop.
      const early = round % 4 === 1;
      // Mid-loop rounds wait for the first acknowledgement, so every one of them kills a writing process.
      if (!early) await run.waitFor(`r${round}-0`);
      const delay = Math.floor(Math.random() * (early ? 150 : 120));
      await sleep(delay);
      run.child.kill('SIGKILL');
      const exit = await run.exited;
      expect(exit.signal, exit.stderr).toBe('SIGKILL');
      const acked = run.lines.filter((l) => l !== 'ready');
      acknowledged.push(...acked);
      log.push(`round ${round}: killed ${early ? 'at start-up' : 'mid-loop'} after ${delay} ms, ${acked.length} acknowledged`);

      const store = openAuditStore({ dataDir: dir });
      try {
        const verdict = await store.verify();
        expect(verdict, log.join('\n')).toMatchObject({ ok: true });
        const logged = await loggedOrderIds(store);
        const missing = acknowledged.filter((id) => !logged.has(id));
        expect(missing, log.join('\n')).toEqual([]);
        for (const id of acked.slice(-3)) expect((await store.getOrder(id))?.orderId).toBe(id);
      } finally {
        await store.close();
      }
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(ROUNDS - ROUNDS / 4);
    console.info(`crash test: ${ROUNDS} kills, ${acknowledged.length} acknowledged orders, all present\n${log.join('\n')}`);
  }, 180_000);
});
