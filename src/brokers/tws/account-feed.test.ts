/**
 * Account state from subscriptions: the tws broker subscribes to the account's
 * updates and P&L at every session start and answers getAccountSummary,
 * getPositions and getPnl from what TWS pushes. Proved over a real socket to
 * the TWS emulator, through a pass-through TCP proxy that counts every request
 * reaching the emulator by TWS message id, so "no request per call" is observed
 * on the wire rather than assumed.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract } from '../../core/models.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

/** TWS request ids (outgoing message ids of the TWS API). */
const REQ = { ACCOUNT_DATA: 6, POSITIONS: 61, ACCOUNT_SUMMARY: 62, PNL: 92 } as const;

interface CountingProxy {
  port: number;
  /** Where connections go; set once the emulator listens. */
  target: number;
  /** Requests seen so far, by message id. */
  count(id: number): number;
  close(): Promise<void>;
}

/** Forwards bytes both ways untouched; parses the client's v100+ frames (after "API\0" and the version frame) to count requests. */
async function countingProxy(): Promise<CountingProxy> {
  const counts = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const proxy: CountingProxy = {
    port: 0,
    target: 0,
    count: (id) => counts.get(id) ?? 0,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: proxy.target });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let buffer = Buffer.alloc(0);
    let handshake = true;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const start = handshake ? 4 : 0; // "API\0" precedes the version frame
        if (buffer.length < start + 4) return;
        const length = buffer.readUInt32BE(start);
        if (buffer.length < start + 4 + length) return;
        const body = buffer.subarray(start + 4, start + 4 + length);
        buffer = buffer.subarray(start + 4 + length);
        if (handshake) handshake = false;
        else {
          const id = Number(body.toString('utf8').split('\0')[0]);
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  proxy.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return proxy;
}

let h: TwsHarness | null = null;
let proxy: CountingProxy | null = null;

afterEach(async () => {
  await h?.cleanup();
  await proxy?.close();
  h = null;
  proxy = null;
});

async function setup(): Promise<{ x: TwsHarness; p: CountingProxy; aapl: Contract; account: string }> {
  const p = await countingProxy();
  proxy = p;
  const x = await makeTwsHarness({ port: p.port });
  h = x;
  p.target = x.emulator.port;
  await x.broker.connect();
  const [aapl] = await x.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL did not resolve');
  return { x, p, aapl, account: x.broker.accounts()[0] ?? '' };
}

const accountRequests = (p: CountingProxy): Record<keyof typeof REQ, number> => ({
  ACCOUNT_DATA: p.count(REQ.ACCOUNT_DATA),
  POSITIONS: p.count(REQ.POSITIONS),
  ACCOUNT_SUMMARY: p.count(REQ.ACCOUNT_SUMMARY),
  PNL: p.count(REQ.PNL),
});

async function buy(x: TwsHarness, aapl: Contract, account: string, quantity: number): Promise<string> {
  const [orderId] = await x.broker.allocateOrderIds(1);
  if (!orderId) throw new Error('no order id');
  const spec = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity, orderType: 'MKT', timeInForce: 'DAY' });
  await x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec, accountId: account, orderRef: `feed-${orderId}` });
  return orderId;
}

describe('tws account state from subscriptions', () => {
  it('subscribes once per session and answers summary, positions and P&L from memory, with the values the broker holds', async () => {
    const { x, p, account } = await setup();
    const first = await x.broker.getAccountSummary(account);
    const afterFirst = accountRequests(p);
    // One account-updates subscription and one P&L subscription, no summary request.
    expect(afterFirst).toEqual({ ACCOUNT_DATA: 1, POSITIONS: 0, ACCOUNT_SUMMARY: 0, PNL: 1 });

    for (let i = 0; i < 5; i++) {
      await x.broker.getAccountSummary(account);
      await x.broker.getPositions(account);
      await x.broker.getPnl(account);
    }
    expect(accountRequests(p)).toEqual(afterFirst);

    const simSummary = await x.sim.getAccountSummary(account);
    expect(first).toMatchObject({
      accountId: account,
      netLiquidation: simSummary.netLiquidation,
      totalCash: simSummary.totalCash,
      buyingPower: simSummary.buyingPower,
      initMarginReq: simSummary.initMarginReq,
    });
    expect(await x.broker.getPositions(account)).toEqual([]);
  });

  it('positions and cash follow fills from the pushed updates, without a request per call', async () => {
    const { x, p, aapl, account } = await setup();
    await x.broker.getPositions(account);
    const before = accountRequests(p);
    const cashBefore = (await x.broker.getAccountSummary(account)).totalCash;

    const orderId = await buy(x, aapl, account, 3);
    await x.until('filled', async () => (await x.broker.getOrder(orderId))?.status === 'FILLED');
    await x.until('the position pushed', async () => (await x.broker.getPositions(account)).some((q) => q.conId === aapl.conId && q.quantity === 3));
    const simCash = (await x.sim.getAccountSummary(account)).totalCash;
    await x.until('the cash pushed', async () => (await x.broker.getAccountSummary(account)).totalCash === simCash);
    expect(simCash).toBeLessThan(cashBefore);

    const [position] = (await x.broker.getPositions(account)).filter((q) => q.conId === aapl.conId);
    const [simPosition] = (await x.sim.getPositions(account)).filter((q) => q.conId === aapl.conId);
    expect(position).toMatchObject({ symbol: 'AAPL', quantity: 3, avgCost: simPosition?.avgCost });
    expect((await x.broker.getPnl(account)).bySymbol.find((r) => r.conId === aapl.conId)?.position).toBe(3);

    // Every read above came from memory: no account request reached the emulator since the first snapshot.
    expect(accountRequests(p)).toEqual(before);
  }, 20_000);

  it('after a reconnect, subscribes again and serves the new session\'s values, fills made while away included', async () => {
    const { x, p, aapl, account } = await setup();
    await buy(x, aapl, account, 2);
    await x.until('the first position pushed', async () => (await x.broker.getPositions(account)).some((q) => q.conId === aapl.conId && q.quantity === 2));

    // A gateway restart; while the adapter is away, the account trades elsewhere (another client, TWS itself).
    const restart = x.emulator.refuseConnectionsFor(300);
    await x.until('disconnected', () => x.broker.status().state !== 'connected');
    const [simId] = await x.sim.allocateOrderIds(1);
    if (!simId) throw new Error('no sim order id');
    const spec = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 5, orderType: 'MKT', timeInForce: 'DAY' });
    await x.sim.placeOrder({ ids: { orderId: simId }, contract: aapl, spec, accountId: account, orderRef: 'elsewhere' });
    await x.until('filled at the broker', async () => (await x.sim.getPositions(account)).some((q) => q.conId === aapl.conId && q.quantity === 7));
    await restart;
    await x.until('reconnected', () => x.broker.status().state === 'connected');
    await x.until('the missed fill in the position', async () => (await x.broker.getPositions(account)).some((q) => q.conId === aapl.conId && q.quantity === 7));
    expect((await x.broker.getAccountSummary(account)).totalCash).toBe((await x.sim.getAccountSummary(account)).totalCash);
    // Renewed once for the new session; still no per-call requests.
    expect(accountRequests(p)).toEqual({ ACCOUNT_DATA: 2, POSITIONS: 0, ACCOUNT_SUMMARY: 0, PNL: 2 });
  }, 20_000);
});
