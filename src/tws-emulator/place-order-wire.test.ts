/**
 * Golden tests of what crosses the socket when an order is placed, read from
 * the bytes themselves: a recording proxy sits between a client and the
 * emulator, and the PLACE_ORDER frames it saw are decoded field by field.
 *
 * - Orders built as IBKR's own OrderSamples build them (the documented field
 *   meanings), sent by the real @stoqey/ib encoder, must decode to those exact
 *   fields and reach the simulator as exactly the OrderSpec they mean.
 * - The tws adapter's orders must go out with IBKR's documented fields, and
 *   its bracket as IBKR's BracketOrder sample does: parent and take-profit
 *   with transmit=false, the stop-loss last with transmit=true, both children
 *   carrying parentId.
 *
 * Neither side is checked against the other: both are checked against IBKR.
 */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, SecType, type Contract as IbContract, type Order, type OrderType } from '@stoqey/ib';
import { OrderSpec, type Contract, type OrderSpecInput } from '../core/models.js';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';
import { createTwsBroker } from '../brokers/tws/index.js';
import { FieldReader, FrameReader } from './framing.js';
import { Req } from './protocol.js';
import { parsePlaceOrder, type PlaceOrderRequestWire } from './requests.js';

const AAPL: IbContract = { conId: 265598, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

interface Recorder {
  port: number;
  /** PLACE_ORDER requests seen so far, decoded as the emulator decodes them. */
  placed(): PlaceOrderRequestWire[];
  close(): Promise<void>;
}

/** A TCP proxy to `target` that records every client-to-gateway frame. */
async function recordingProxy(target: number): Promise<Recorder> {
  const frames: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const reader = new FrameReader({ expectHandshake: true });
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      for (const f of reader.push(chunk)) if (f.kind === 'message') frames.push(f.fields);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    placed: () =>
      frames
        .filter((f) => Number(f[0]) === Req.PLACE_ORDER)
        .map((f) => {
          const r = new FieldReader(f);
          r.skip(1); // the message id
          return parsePlaceOrder(r, 178);
        }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let h: Harness;
let proxy: Recorder;

beforeEach(async () => {
  h = await makeHarness();
  proxy = await recordingProxy(h.emulator.port);
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await proxy.close();
  await h.close();
});

/** Far from AAPL's simulated price, so every order rests and can be read back. */
const LOW = 50;
const HIGH = 900;

const spec = (s: Partial<OrderSpecInput>): OrderSpec =>
  OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', currency: 'USD', quantity: 100, timeInForce: 'DAY', account: 'DU1234567', ...s });

/** IBKR's OrderSamples, field for field; what each must mean on the wire and to the simulator. */
const samples: { name: string; order: Order; wire: Partial<PlaceOrderRequestWire>; spec: OrderSpec }[] = [
  {
    name: 'LimitOrder',
    order: { action: OrderAction.BUY, orderType: 'LMT' as OrderType, totalQuantity: 100, lmtPrice: LOW, tif: 'GTC' },
    wire: { action: 'BUY', orderType: 'LMT', totalQuantity: 100, lmtPrice: LOW, auxPrice: null, tif: 'GTC', transmit: true, parentId: 0 },
    spec: spec({ action: 'BUY', orderType: 'LMT', limitPrice: LOW, timeInForce: 'GTC' }),
  },
  {
    name: 'Stop (buy, above the market)',
    order: { action: OrderAction.BUY, orderType: 'STP' as OrderType, totalQuantity: 100, auxPrice: HIGH },
    wire: { action: 'BUY', orderType: 'STP', lmtPrice: null, auxPrice: HIGH },
    spec: spec({ action: 'BUY', orderType: 'STP', stopPrice: HIGH }),
  },
  {
    name: 'StopLimit',
    order: { action: OrderAction.BUY, orderType: 'STP LMT' as OrderType, totalQuantity: 100, lmtPrice: HIGH + 1, auxPrice: HIGH },
    wire: { orderType: 'STP LMT', lmtPrice: HIGH + 1, auxPrice: HIGH },
    spec: spec({ action: 'BUY', orderType: 'STP_LMT', limitPrice: HIGH + 1, stopPrice: HIGH }),
  },
  {
    name: 'TrailingStop by percent, with trailStopPrice',
    order: { action: OrderAction.BUY, orderType: 'TRAIL' as OrderType, totalQuantity: 100, trailingPercent: 5.5, trailStopPrice: HIGH },
    wire: { orderType: 'TRAIL', auxPrice: null, trailingPercent: 5.5, trailStopPrice: HIGH },
    spec: spec({ action: 'BUY', orderType: 'TRAIL', trailingPercent: 5.5, stopPrice: HIGH }),
  },
  {
    name: 'TrailingStop by amount (auxPrice)',
    order: { action: OrderAction.BUY, orderType: 'TRAIL' as OrderType, totalQuantity: 100, auxPrice: 2, trailStopPrice: HIGH },
    wire: { orderType: 'TRAIL', auxPrice: 2, trailingPercent: null, trailStopPrice: HIGH },
    spec: spec({ action: 'BUY', orderType: 'TRAIL', trailingAmount: 2, stopPrice: HIGH }),
  },
  {
    name: 'TrailingStopLimit (lmtPriceOffset, auxPrice trailing amount, trailStopPrice)',
    order: { action: OrderAction.BUY, orderType: 'TRAIL LIMIT' as OrderType, totalQuantity: 100, lmtPriceOffset: 0.05, auxPrice: 1, trailStopPrice: HIGH },
    wire: { orderType: 'TRAIL LIMIT', lmtPrice: null, auxPrice: 1, trailStopPrice: HIGH, lmtPriceOffset: 0.05 },
    spec: spec({ action: 'BUY', orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitOffset: 0.05, stopPrice: HIGH }),
  },
  {
    name: 'MarketOnClose',
    order: { action: OrderAction.BUY, orderType: 'MOC' as OrderType, totalQuantity: 100 },
    wire: { orderType: 'MOC', lmtPrice: null, auxPrice: null },
    spec: spec({ action: 'BUY', orderType: 'MOC' }),
  },
  {
    name: 'LimitOnClose (LOC, the limit in lmtPrice)',
    order: { action: OrderAction.BUY, orderType: 'LOC' as OrderType, totalQuantity: 100, lmtPrice: LOW },
    wire: { orderType: 'LOC', lmtPrice: LOW, auxPrice: null },
    spec: spec({ action: 'BUY', orderType: 'LOC', limitPrice: LOW }),
  },
  {
    name: 'Midprice with a price cap (lmtPrice)',
    order: { action: OrderAction.BUY, orderType: 'MIDPRICE' as OrderType, totalQuantity: 100, lmtPrice: LOW },
    wire: { orderType: 'MIDPRICE', lmtPrice: LOW, auxPrice: null },
    spec: spec({ action: 'BUY', orderType: 'MIDPRICE', limitPrice: LOW }),
  },
  {
    name: 'MarketOnOpen (MKT with tif OPG)',
    order: { action: OrderAction.BUY, orderType: 'MKT' as OrderType, totalQuantity: 100, tif: 'OPG' },
    wire: { orderType: 'MKT', tif: 'OPG' },
    spec: spec({ action: 'BUY', orderType: 'OPG', timeInForce: 'OPG' }),
  },
  {
    name: 'LimitOrder outside regular hours, in an OCA group',
    order: { action: OrderAction.BUY, orderType: 'LMT' as OrderType, totalQuantity: 100, lmtPrice: LOW, tif: 'GTC', outsideRth: true, ocaGroup: 'golden-oca', ocaType: 1 },
    wire: { orderType: 'LMT', lmtPrice: LOW, outsideRth: true, ocaGroup: 'golden-oca' },
    spec: spec({ action: 'BUY', orderType: 'LMT', limitPrice: LOW, timeInForce: 'GTC', outsideRth: true, ocaGroup: 'golden-oca' }),
  },
];

describe('PLACE_ORDER as @stoqey/ib writes it and the emulator reads it', () => {
  it.each(samples)('$name', async ({ order, wire, spec: expected }) => {
    const c = await h.connect(11, { port: proxy.port });
    const orderRef = `golden-${expected.orderType}`;
    c.ib.placeOrder(101, AAPL, { ...order, account: 'DU1234567', orderRef, transmit: true });
    await c.waitFor(EventName.openOrder, (a) => a[0] === 101);

    const [sent] = proxy.placed();
    expect(sent).toMatchObject({ orderId: 101, account: 'DU1234567', orderRef, whatIf: false, unsupported: null, contract: { conId: 265598, symbol: 'AAPL', secType: 'STK' }, ...wire });

    const atSim = (await h.broker.getOpenOrders()).filter((o) => o.orderRef === orderRef);
    expect(atSim).toHaveLength(1);
    expect(atSim[0]?.spec).toEqual(expected);
  });

  it('flags an order with conditions as unsupported rather than misreading the fields after them', async () => {
    const c = await h.connect(12, { port: proxy.port });
    c.ib.placeOrder(7, AAPL, {
      action: OrderAction.BUY, orderType: 'LMT' as OrderType, totalQuantity: 1, lmtPrice: LOW, tif: 'DAY', transmit: true,
      conditions: [{ type: 3, conjunctionConnection: 'a', isMore: true, strValue: '20300101 00:00:00 UTC', value: '20300101 00:00:00 UTC' } as unknown as NonNullable<Order['conditions']>[number]],
      conditionsIgnoreRth: false, conditionsCancelOrder: false,
    });
    const [err, code] = await c.waitFor(EventName.error, (a) => a[2] === 7);
    expect(code).toBe(201);
    expect(String(err instanceof Error ? err.message : err)).toMatch(/conditional orders are not supported/);
    const [sent] = proxy.placed();
    expect(sent?.unsupported).toBe('conditional orders are not supported');
    expect(await h.broker.getOpenOrders()).toEqual([]);
  });
});

/** The tws adapter connected through the recording proxy; closed and cleaned up after `body`. */
async function withAdapter(body: (broker: ReturnType<typeof createTwsBroker>, contract: Contract) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tws-wire-'));
  const broker = createTwsBroker({ host: '127.0.0.1', port: proxy.port, clientId: 21, dataDir: dir, clock: h.clock, requestTimeoutMs: 3000 });
  try {
    await broker.connect();
    const [contract] = await broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!contract) throw new Error('AAPL did not resolve');
    await body(broker, contract);
  } finally {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the tws adapter\'s orders on the wire', () => {
  it.each([
    ['a trailing stop limit by offset', spec({ action: 'BUY', orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitOffset: 0.05, stopPrice: HIGH, timeInForce: 'GTC' }), { orderType: 'TRAIL LIMIT', lmtPrice: null, auxPrice: 1, trailingPercent: null, trailStopPrice: HIGH, lmtPriceOffset: 0.05, tif: 'GTC' }],
    ['a trailing stop by percent', spec({ action: 'BUY', orderType: 'TRAIL', trailingPercent: 5.5, stopPrice: HIGH }), { orderType: 'TRAIL', lmtPrice: null, auxPrice: null, trailingPercent: 5.5, trailStopPrice: HIGH, tif: 'DAY' }],
    ['a stop limit outside regular hours', spec({ action: 'BUY', orderType: 'STP_LMT', stopPrice: HIGH, limitPrice: HIGH + 1, outsideRth: true }), { orderType: 'STP LMT', lmtPrice: HIGH + 1, auxPrice: HIGH, outsideRth: true, tif: 'DAY' }],
  ] as const)('%s goes out as IBKR documents it and reaches the simulator unchanged', async (_name, sent, wire) => {
    await withAdapter(async (broker, contract) => {
      const [orderId] = await broker.allocateOrderIds(1);
      if (!orderId) throw new Error('no id');
      await broker.placeOrder({ ids: { orderId }, contract, spec: sent, accountId: 'DU1234567', orderRef: 'golden-adapter' });
      const [onWire] = proxy.placed();
      expect(onWire).toMatchObject({ orderId: Number(orderId), action: 'BUY', totalQuantity: 100, parentId: 0, transmit: true, account: 'DU1234567', orderRef: 'golden-adapter', unsupported: null, ...wire });
      const atSim = (await h.broker.getOpenOrders()).filter((o) => o.orderRef === 'golden-adapter');
      expect(atSim.map((o) => o.spec)).toEqual([sent]);
    });
  });

  it('sends a bracket as IBKR\'s BracketOrder sample: transmit only on the last leg, children with parentId', async () => {
    await withAdapter(async (broker, contract) => {
      const [entry, tp, sl] = await broker.allocateOrderIds(3);
      if (!entry || !tp || !sl) throw new Error('no ids');
      const bracket = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: LOW, timeInForce: 'GTC', takeProfitPrice: LOW + 20, stopLossPrice: LOW - 10 });
      await broker.placeOrder({ ids: { orderId: entry, takeProfitOrderId: tp, stopLossOrderId: sl }, contract, spec: bracket, accountId: 'DU1234567', orderRef: 'golden-bracket' });

      const legs = proxy.placed();
      expect(legs.map((l) => l.orderId)).toEqual([Number(entry), Number(tp), Number(sl)]);
      expect(legs[0]).toMatchObject({ action: 'BUY', orderType: 'LMT', totalQuantity: 10, lmtPrice: LOW, auxPrice: null, tif: 'GTC', parentId: 0, transmit: false, account: 'DU1234567', orderRef: 'golden-bracket' });
      expect(legs[1]).toMatchObject({ action: 'SELL', orderType: 'LMT', totalQuantity: 10, lmtPrice: LOW + 20, auxPrice: null, tif: 'GTC', parentId: Number(entry), transmit: false });
      expect(legs[2]).toMatchObject({ action: 'SELL', orderType: 'STP', totalQuantity: 10, lmtPrice: null, auxPrice: LOW - 10, tif: 'GTC', parentId: Number(entry), transmit: true });

      const atSim = await h.broker.getOpenOrders();
      expect(atSim.map((o) => o.role).sort()).toEqual(['ENTRY', 'STOP_LOSS', 'TAKE_PROFIT']);
    });
  });
});
