/**
 * The same emulator through @stoqey/ib's IBApiNext (the observable API most
 * applications use): connection state, current time, contract details, a
 * market data snapshot, account summary, positions and an order round trip.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { firstValueFrom, filter } from 'rxjs';
import { ConnectionState, IBApiNext, IBApiTickType, OrderAction, OrderType, SecType, type Contract as IbContract } from '@stoqey/ib';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;
let api: IBApiNext;
const errors: { code: number; message: string }[] = [];

beforeEach(async () => {
  h = await makeHarness();
  api = new IBApiNext({ host: '127.0.0.1', port: h.emulator.port });
  errors.length = 0;
  api.error.subscribe((e) => errors.push({ code: e.code, message: e.error.message }));
  api.connect(9);
  await firstValueFrom(api.connectionState.pipe(filter((s) => s === ConnectionState.Connected)));
});

afterEach(async () => {
  expect(errors.filter((e) => e.code === 505)).toEqual([]);
  api.disconnect();
  await h.close();
});

it('serves IBApiNext end to end', async () => {
  expect(await api.getCurrentTime()).toBe(Math.floor(h.clock.now() / 1000));

  const details = await api.getContractDetails(AAPL);
  expect(details[0]?.contract.conId).toBe(265598);

  const [contract] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!contract) throw new Error('AAPL missing');
  const quote = await h.broker.getQuote(contract);
  const snapshot = await api.getMarketDataSnapshot(AAPL, '', false);
  expect(snapshot.get(IBApiTickType.BID)?.value).toBe(quote.bid);
  expect(snapshot.get(IBApiTickType.ASK)?.value).toBe(quote.ask);

  const summary = await firstValueFrom(api.getAccountSummary('All', 'NetLiquidation'));
  const account = h.broker.accounts()[0] ?? '';
  const nl = summary.all.get(account)?.get('NetLiquidation')?.get('USD')?.value;
  expect(Number(nl)).toBeCloseTo((await h.broker.getAccountSummary(account)).netLiquidation, 1);

  const id = await api.placeNewOrder(AAPL, { action: OrderAction.BUY, totalQuantity: 5, orderType: OrderType.MKT, transmit: true });
  expect(id).toBeGreaterThan(0);
  const positions = await firstValueFrom(api.getPositions().pipe(filter((p) => (p.all.get(account) ?? []).some((x) => x.pos === 5))));
  expect(positions.all.get(account)?.[0]?.contract.conId).toBe(265598);

  const execs = await api.getExecutionDetails({});
  expect(execs.map((e) => e.execution.orderId)).toContain(id);
});
