/**
 * The kill switch is read before every order; it keeps the switches it read
 * while the store's state mark stands. The mark moves for another process's
 * commit and for this handle's own setState, but not for the order path's own
 * rows, so placing orders costs no state re-reads, and an engagement made
 * anywhere still stops the very next order. Real SQLite files, two handles.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { KillSwitch } from './kill-switch.js';
import { entry, version } from '../testing/audit/samples.js';
import { useTwoStores } from '../testing/audit/store-probes.js';

const clock = new ManualClock();
const s = useTwoStores(clock);
const stateReads = (): Promise<number> => s.calls('getState');

describe('the state mark', () => {
  it("stays put across this handle's order rows and appends, and moves on its setState and on another handle's commit", async () => {
    const start = await s.mine.stateMark();
    await s.mine.recordOrder(entry({ orderId: '1' }), version('1'));
    await s.mine.append(entry({ orderId: null }));
    expect(await s.mine.stateMark()).toBe(start);

    await s.mine.setState('something', { n: 1 });
    const afterSet = await s.mine.stateMark();
    expect(afterSet).not.toBe(start);

    await s.other.append(entry({ orderId: null }));
    expect(await s.mine.stateMark()).not.toBe(afterSet);
  });
});

describe('the kill switch on a store', () => {
  it('reads the switches once while only orders are written, and sees an engagement from another process at the next read', async () => {
    const ks = new KillSwitch(s.mine, clock);
    expect((await ks.effective('DU1')).engaged).toBe(false);
    const reads = await stateReads();
    expect(reads).toBe(2); // the desk's switch and the account's

    for (let i = 1; i <= 5; i++) {
      await s.mine.recordOrder(entry({ orderId: String(i) }), version(String(i)));
      expect((await ks.effective('DU1')).engaged).toBe(false);
    }
    expect(await stateReads()).toBe(reads);
    // One mark read per decision, for the desk's switch and the account's together.
    expect(await s.calls('stateMark')).toBe(6);

    await new KillSwitch(s.other, clock).set(true, 'from the CLI', null, { account: 'DU1' });
    const next = await ks.effective('DU1');
    expect(next).toMatchObject({ engaged: true, reason: 'account DU1: from the CLI' });
  });

  it("sees its own handle's engagement at once, through another KillSwitch on the same store object", async () => {
    const ks = new KillSwitch(s.mine, clock);
    expect((await ks.state()).engaged).toBe(false);
    await new KillSwitch(s.mine, clock).set(true, 'same process', null);
    expect(await ks.state()).toMatchObject({ engaged: true, reason: 'same process' });
    await new KillSwitch(s.mine, clock).set(false, null, null);
    expect((await ks.state()).engaged).toBe(false);
  });
});
