/**
 * The same emulator through @stoqey/ib's IBApiNext (the observable API most
 * applications use): connection state, current time, contract details, a
 * market data snapshot, account summary, positions and an order round trip.
 */
import { expect, it } from 'vitest';
import { firstValueFrom, filter } from 'rxjs';
import { IBApiTickType, OrderAction, OrderType, SecType, type Contract as IbContract } from '@stoqey/ib';
import { useApiNextSession } from '../testing/api-next-session.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

const s = useApiNextSession();

it('serves IBApiNext end to end', async () => {
  expect(await s.api.getCurrentTime()).toBe(Math.floor(s.h.clock.now() / 1000));

  const details = await s.api.getContractDetails(AAPL);
  expect(details[0]?.contract.conId).toBe(265598);

  const [contract] = await s.h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!contract) throw new Error('AAPL missing');
  const quote = await s.h.broker.getQuote(contract);
  const snapshot = await s.api.getMarketDataSnapshot(AAPL, '', false);
  expect(snapshot.get(IBApiTickType.BID)?.value).toBe(quote.bid);
  expect(snapshot.get(IBApiTickType.ASK)?.value).toBe(quote.ask);

  const summary = await firstValueFrom(s.api.getAccountSummary('All', 'NetLiquidation'));
  const account = s.h.broker.accounts()[0] ?? '';
  const nl = summary.all.get(account)?.get('NetLiquidation')?.get('USD')?.value;
  expect(Number(nl)).toBeCloseTo((await s.h.broker.getAccountSummary(account)).netLiquidation, 1);

  const id = await s.api.placeNewOrder(AAPL, { action: OrderAction.BUY, totalQuantity: 5, orderType: OrderType.MKT, transmit: true });
  expect(id).toBeGreaterThan(0);
  const positions = await firstValueFrom(s.api.getPositions().pipe(filter((p) => (p.all.get(account) ?? []).some((x) => x.pos === 5))));
  expect(positions.all.get(account)?.[0]?.contract.conId).toBe(265598);

  const execs = await s.api.getExecutionDetails({});
  expect(execs.map((e) => e.execution.orderId)).toContain(id);
});
