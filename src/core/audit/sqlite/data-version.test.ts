/**
 * PRAGMA data_version is read once per event-loop callback (data-version.ts),
 * and named states are answered from memory while it stands (state-log.ts).
 * What must hold: the reads one callback makes share one PRAGMA (an order
 * made four), another connection's commit is seen by the first read of the
 * next callback (a second gateway, the CLI engaging the kill switch), and a
 * named state is the table's: after this connection's own change, after
 * another's, and never an uncommitted or rolled-back value.
 */
import { describe, expect, it } from 'vitest';
import { entry, version } from '../../../testing/audit/samples.js';
import { statementsRun } from '../../../testing/audit/store-probes.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { KillSwitch } from '../../kill-switch.js';
import { systemClock } from '../../clock.js';

const t = useTempSqliteStore();

const DAY = '2026-01-05T00:00:00.000Z';
/** Resolves in a later event-loop callback (after the running one's promise jobs and process.nextTick jobs). */
const nextCallback = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PRAGMA data_version, once per callback', () => {
  it("answers an order's marks and remembered reads in one callback with one PRAGMA, and a named state with its own and no state_log read", async () => {
    await t.store.recordOrder(entry({ orderId: '1' }), version('1'));
    await t.store.setState('circuitBreaker', { consecutiveRejections: 0 });
    // Each read once, so each has something remembered.
    const { lastRowId } = await t.store.fillsSince('DU111111', DAY, 0);
    await t.store.getState('circuitBreaker');
    await nextCallback();
    const sql = await statementsRun(async () => {
      // The kill switch's mark, the risk check's fills, the order read back, the circuit breaker: one callback.
      const mark = await t.store.stateMark();
      const [fills, order] = await Promise.all([t.store.fillsSince('DU111111', DAY, lastRowId), t.store.getOrder('1')]);
      const streak = await t.store.getState<{ consecutiveRejections: number }>('circuitBreaker');
      expect(await t.store.changeMark()).toMatch(/^\d+:\d+$/);
      expect([mark, fills.fills, order?.orderId, streak]).toEqual([await t.store.stateMark(), [], '1', { consecutiveRejections: 0 }]);
    });
    expect(sql).toEqual(['PRAGMA data_version', 'PRAGMA data_version']);
  });

  it('reads it again in the next callback: a commit by another connection between two callbacks is seen at once', async () => {
    const other = t.openOther();
    await other.setState('circuitBreaker', { consecutiveRejections: 1 });
    const mark = await t.store.stateMark();
    expect(await t.store.getState('circuitBreaker')).toEqual({ consecutiveRejections: 1 });
    // Another process's commit in a callback of its own, with nothing of this store's in between.
    await nextCallback();
    t.withFile((db) => db.prepare("INSERT INTO gateway_instances (instance_id, host_key, pid, lease_ms, started_at, heartbeat_at) VALUES ('x', 'h', 1, 1000, ?, ?)").run(DAY, DAY));
    await nextCallback();
    expect(await t.store.stateMark()).not.toBe(mark);
    const sql = await statementsRun(() => t.store.getState('circuitBreaker'));
    expect(sql.filter((s) => s.includes('FROM state_log'))).toHaveLength(1);
  });

  it('stops the next order after another process engages the kill switch, though this process read the switch just before', async () => {
    const mine = new KillSwitch(t.store, systemClock);
    expect((await mine.effective('DU111111')).engaged).toBe(false);
    const other = t.openOther();
    await new KillSwitch(other, systemClock).set(true, 'from the CLI', null);
    expect(await mine.effective('DU111111')).toMatchObject({ engaged: true, reason: 'from the CLI' });
  });
});

describe('named states from memory', () => {
  it("are the table's after this connection's own change and after another connection's", async () => {
    const other = t.openOther();
    expect(await t.store.getState('s')).toBeNull();
    await t.store.setState('s', { n: 1 });
    expect(await t.store.getState('s')).toEqual({ n: 1 });
    await other.setState('s', { n: 2 });
    expect(await t.store.getState('s')).toEqual({ n: 2 });
    await t.store.setState('s', { n: 3 });
    expect(await other.getState('s')).toEqual({ n: 3 });
    expect(await t.store.getState('s')).toEqual({ n: 3 });
  });

  it('check PRAGMA data_version at every read: a change another connection commits right after a read, in the same callback, is read', async () => {
    await t.store.setState('s', { n: 1 });
    await nextCallback();
    expect(await t.store.getState('s')).toEqual({ n: 1 });
    t.withFile((db) => db.prepare("INSERT INTO gateway_instances (instance_id, host_key, pid, lease_ms, started_at, heartbeat_at) VALUES ('y', 'h', 1, 1000, ?, ?)").run(DAY, DAY));
    const sql = await statementsRun(() => t.store.getState('s'));
    expect(sql.filter((s) => s.includes('FROM state_log'))).toHaveLength(1);
  });

  it('never keep a value whose write was rolled back, and give each caller its own object', async () => {
    await t.store.setState('s', { n: 1 });
    const first = await t.store.getState<{ n: number }>('s');
    if (first === null) throw new Error('no state');
    first.n = 99;
    expect(await t.store.getState('s')).toEqual({ n: 1 });
    // A change refused inside its transaction (a trigger stands in for a full disk): rolled back, so the value stays the old one.
    t.withFile((db) => db.exec("CREATE TRIGGER refuse_state BEFORE INSERT ON state_log WHEN NEW.kind = 'state' BEGIN SELECT RAISE(ABORT, 'refused'); END"));
    await nextCallback();
    expect(await t.store.getState('s')).toEqual({ n: 1 });
    await expect(t.store.setState('s', { n: 2 })).rejects.toThrow();
    expect(await t.store.getState('s')).toEqual({ n: 1 });
  });
});
