/**
 * One order's writers in turn (order-lock.ts): an update decided inside the
 * store's transaction starts as soon as the writers before it have queued
 * theirs (so updates arriving together share a transaction), but settles
 * only after they finished; a writer that reads the order itself starts only
 * once every writer before it has finished.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore } from '../audit/types.js';
import { systemContext } from '../logging.js';
import { forRequest, type OrderContext } from './context.js';
import { queueOrderUpdate, withOrderLock } from './order-lock.js';

/** A store write that commits when told to. */
function pendingWrite(log: string[], name: string): { start: () => Promise<string>; commit: () => void } {
  let commit: () => void = () => undefined;
  const committed = new Promise<string>((resolve) => (commit = () => (log.push(`${name} committed`), resolve(name))));
  return {
    start: () => {
      log.push(`${name} queued`);
      return committed;
    },
    commit: () => commit(),
  };
}

/** A client's order context: the queues belong to its store, which every request's context shares. */
const clientContext = (): OrderContext => ({ audit: {} as AuditStore }) as OrderContext;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the writers of one order', () => {
  it('updates queue one behind the other without waiting for a commit, and each settles after those before it, whichever request made them', async () => {
    const ctx = clientContext();
    const log: string[] = [];
    const a = pendingWrite(log, 'a');
    const b = pendingWrite(log, 'b');
    const settled: string[] = [];
    // A request's answer and a broker event of one order (forRequest: two contexts of one client).
    const first = queueOrderUpdate(forRequest(ctx, systemContext('request')), '1', a.start).then((v) => settled.push(v));
    const second = queueOrderUpdate(forRequest(ctx, systemContext('event')), '1', b.start).then((v) => settled.push(v));
    await turn();
    expect(log).toEqual(['a queued', 'b queued']);
    b.commit();
    await turn();
    // b's write is done, but a's is not: b is not reported before a.
    expect(settled).toEqual([]);
    a.commit();
    await Promise.all([first, second]);
    expect(settled).toEqual(['a', 'b']);
  });

  it('a writer that reads the order itself waits for the update before it to finish, and an update after it waits for it', async () => {
    const ctx = clientContext();
    const log: string[] = [];
    const a = pendingWrite(log, 'a');
    const c = pendingWrite(log, 'c');
    const first = queueOrderUpdate(ctx, '1', a.start);
    const locked = withOrderLock(ctx, '1', async () => {
      log.push('lock runs');
    });
    const third = queueOrderUpdate(ctx, '1', c.start);
    await turn();
    expect(log).toEqual(['a queued']);
    a.commit();
    await Promise.all([first, locked]);
    await turn();
    expect(log).toEqual(['a queued', 'a committed', 'lock runs', 'c queued']);
    c.commit();
    await third;
  });

  it('an update over several orders waits for the writers of each; other orders are not held up', async () => {
    const ctx = clientContext();
    const log: string[] = [];
    const a = pendingWrite(log, 'a');
    const other = pendingWrite(log, 'other');
    const both = pendingWrite(log, 'both');
    void queueOrderUpdate(ctx, '1', a.start);
    void queueOrderUpdate(ctx, '2', other.start);
    const answer = queueOrderUpdate(ctx, ['1', '2'], both.start);
    await turn();
    expect(log).toEqual(['a queued', 'other queued', 'both queued']);
    both.commit();
    other.commit();
    await turn();
    let done = false;
    void answer.then(() => (done = true));
    await turn();
    expect(done).toBe(false);
    a.commit();
    await answer;
    expect(done).toBe(true);
  });
});
