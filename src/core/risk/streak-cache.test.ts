/**
 * The circuit breaker's count (storeHistory().rejectionStreak) is read after
 * every order's outcome. It is kept while the store's state mark stands, as
 * the kill switch is: the order path's own rows do not make it re-read, and a
 * change made anywhere (this handle's setRejectionStreak, another process's
 * write) is read at the next call. Real SQLite files, two handles.
 */
import { describe, expect, it } from 'vitest';
import { entry, version } from '../../testing/audit/samples.js';
import { useTwoStores } from '../../testing/audit/store-probes.js';
import { storeHistory } from './history.js';

const s = useTwoStores();
const stateReads = (): Promise<number> => s.calls('getState');

describe("the circuit breaker's count on a store", () => {
  it("is read once while only orders are written, and again after this handle's change and another process's", async () => {
    const history = storeHistory(s.mine);
    const theirs = storeHistory(s.other);
    expect(await history.rejectionStreak()).toBe(0);
    await s.mine.recordOrder(entry({ orderId: '1' }), version('1'));
    expect(await history.rejectionStreak()).toBe(0);
    expect(await stateReads()).toBe(1);

    await history.setRejectionStreak(2);
    expect(await history.rejectionStreak()).toBe(2);
    expect(await stateReads()).toBe(2);

    await theirs.setRejectionStreak(3);
    expect(await history.rejectionStreak()).toBe(3);
    await theirs.setRejectionStreak(0);
    expect(await history.rejectionStreak()).toBe(0);
    expect(await stateReads()).toBe(4);
  });
});
