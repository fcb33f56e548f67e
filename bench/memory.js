/* global performance */
// Memory under load: RSS of a gateway (simulator) after N quote requests,
// and how much it grew over the second half of them (flat means nothing
// accumulates per request). Then the order path (benchOrderMemory): the heap
// each durable REST order leaves behind. RSS is read after a full GC (the server runs with
// --expose-gc), so garbage not yet collected does not count as growth. The
// baseline is the same gateway idle right after start, in the same run.
//
// N is BENCH_MEMORY_REQUESTS, by default the issue's 1,000,000 (about 100 s
// on this 2-core machine at ~10,000 quotes/s; BENCH_MEMORY_REQUESTS=200000
// for a quicker look). Needs `npm run build`. Alone: `node bench/memory.js`.
import autocannon from 'autocannon';
import { pathToFileURL } from 'node:url';
import { startChild } from './api.js';
import { startGateway } from './orders.js';

const REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS ?? 1_000_000);
const STEPS = 10;
const KEY = 'benchkey123456';
const MB = 1024 * 1024;

export async function benchMemory() {
  const gateway = await startChild('gateway', {}, ['--expose-gc']);
  try {
    const url = `${gateway.url}/api/market/quote?symbol=AAPL`;
    const idle = (await gateway.usage()).rss;
    const samples = [];
    const started = performance.now();
    for (let step = 0; step < STEPS; step++) {
      const result = await autocannon({ url, connections: 32, amount: Math.ceil(REQUESTS / STEPS), headers: { 'x-api-key': KEY } });
      if (result.non2xx + result.errors > 0) throw new Error(`memory bench: ${result.non2xx + result.errors} failed quote requests`);
      samples.push((await gateway.usage()).rss);
    }
    const seconds = (performance.now() - started) / 1000;
    const half = samples[STEPS / 2 - 1];
    const last = samples[STEPS - 1];
    const count = REQUESTS.toLocaleString('en-US');
    return [
      {
        name: `memory: RSS after ${count} quote requests`,
        value: last / MB,
        unit: 'MB',
        baseline: `idle ${(idle / MB).toFixed(1)} MB`,
        note: `after a full GC; per tenth: ${samples.map((s) => (s / MB).toFixed(0)).join(' ')}; ${seconds.toFixed(0)} s of load`,
      },
      { name: 'memory: RSS growth over the second half', value: (last - half) / MB, unit: 'MB', baseline: `${(half / MB).toFixed(1)} MB at half`, note: `RSS after ${count} minus after ${(REQUESTS / 2).toLocaleString('en-US')} requests` },
    ];
  } finally {
    await gateway.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { printRows } = await import('./table.js');
  printRows(await benchMemory());
}

const ORDER_STEPS = [10_000, 20_000, 30_000];

/**
 * What a day of orders keeps in memory: the REST order path (sim, durable audit.db, 32 clients) after
 * 10,000, 20,000 and 30,000 orders, heap and RSS after a full GC; the figure is the heap kept per order
 * between the first and the last reading. Some of it is meant to stay until the day ends: the simulator
 * keeps the day's fills for the daily P&L (about 250 bytes each, valuation.ts). Alone:
 * `node bench/run.js memory`.
 */
export async function benchOrderMemory() {
  const gateway = await startGateway('--serve', [...process.execArgv, '--expose-gc']);
  try {
    const idle = await gateway.memory();
    const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
    const readings = [];
    const body = JSON.stringify({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    let placed = 0;
    for (const total of ORDER_STEPS) {
      const result = await autocannon({ url: `${gateway.url}/api/orders/place`, method: 'POST', connections: 32, amount: total - placed, headers, body });
      if (result.non2xx + result.errors > 0) throw new Error(`order memory bench: ${result.non2xx + result.errors} failed orders`);
      placed = total;
      readings.push({ orders: total, ...(await gateway.memory()) });
    }
    const first = readings[0];
    const last = readings[readings.length - 1];
    const perOrder = (last.heapUsed - first.heapUsed) / (last.orders - first.orders);
    const mb = (x) => (x / MB).toFixed(1);
    return [
      {
        name: `memory: heap kept per REST order (${first.orders.toLocaleString('en-US')} -> ${last.orders.toLocaleString('en-US')} orders)`,
        value: perOrder / 1024,
        unit: 'KB',
        baseline: `idle heap ${mb(idle.heapUsed)} MB`,
        note: `after a full GC; heap ${readings.map((r) => mb(r.heapUsed)).join(' / ')} MB and RSS ${readings.map((r) => mb(r.rss)).join(' / ')} MB at ${readings.map((r) => `${r.orders / 1000}k`).join(' / ')} orders (idle RSS ${mb(idle.rss)} MB); the simulator keeps the day's fills until the day ends`,
      },
    ];
  } finally {
    await gateway.stop();
  }
}
