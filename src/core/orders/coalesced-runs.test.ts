/**
 * CoalescedRuns: what the daily loss check after fills relies on. Every
 * request is followed by a run that starts after it; requests made while a
 * run is in progress share one more run; keys do not wait for each other.
 */
import { describe, expect, it } from 'vitest';
import { CoalescedRuns } from './coalesced-runs.js';

/** A run that waits until released, recording what it saw when it started. */
function gatedRuns() {
  const started: Array<{ key: string; seen: number }> = [];
  const gates: Array<() => void> = [];
  let requests = 0;
  const runs = new CoalescedRuns(
    async (key) => {
      started.push({ key, seen: requests });
      await new Promise<void>((r) => gates.push(r));
    },
    (err) => {
      throw err;
    },
  );
  const request = (key: string): void => {
    requests++;
    runs.request(key);
  };
  const releaseNext = async (): Promise<void> => {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { runs, started, request, releaseNext };
}

describe('CoalescedRuns', () => {
  it('a burst of requests during a run is served by exactly one run started after the last of them', async () => {
    const g = gatedRuns();
    g.request('DU1');
    expect(g.started).toEqual([{ key: 'DU1', seen: 1 }]);
    for (let i = 0; i < 31; i++) g.request('DU1');
    await g.releaseNext();
    expect(g.started).toEqual([
      { key: 'DU1', seen: 1 },
      { key: 'DU1', seen: 32 },
    ]);
    await g.releaseNext();
    expect(g.started).toHaveLength(2);
  });

  it('a request after the runs finished starts a new run', async () => {
    const g = gatedRuns();
    g.request('DU1');
    await g.releaseNext();
    g.request('DU1');
    expect(g.started).toEqual([
      { key: 'DU1', seen: 1 },
      { key: 'DU1', seen: 2 },
    ]);
    await g.releaseNext();
  });

  it('each key has its own run; stop() starts no further run', async () => {
    const g = gatedRuns();
    g.request('DU1');
    g.request('DU2');
    expect(g.started.map((s) => s.key)).toEqual(['DU1', 'DU2']);
    g.request('DU1');
    g.runs.stop();
    await g.releaseNext();
    await g.releaseNext();
    expect(g.started).toHaveLength(2);
  });

  it('a run that throws is reported, and the next request still runs', async () => {
    let calls = 0;
    const reported: unknown[] = [];
    const runs = new CoalescedRuns(
      () => {
        calls++;
        return Promise.reject(new Error('broker down'));
      },
      (err) => reported.push(err),
    );
    runs.request('DU1');
    await new Promise((r) => setImmediate(r));
    runs.request('DU1');
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    expect(reported).toEqual([new Error('broker down'), new Error('broker down')]);
  });
});
