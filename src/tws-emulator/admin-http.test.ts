/**
 * The fault channel a person drives with curl, seen from a real TWS client
 * (this project's tws broker over @stoqey/ib).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimBroker } from '../brokers/sim/index.js';
import { createTwsBroker } from '../brokers/tws/index.js';
import type { Broker } from '../core/broker/port.js';
import { startAdminChannel, startTwsEmulator, type AdminChannel, type TwsEmulator } from './index.js';

let sim: Broker;
let emulator: TwsEmulator;
let admin: AdminChannel;
let tws: Broker;
const post = (path: string) => fetch(`http://127.0.0.1:${admin.port}${path}`, { method: 'POST' });

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check()).toBe(true);
};

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emu-admin-'));
  sim = createSimBroker({ dataDir, seed: 7, session: 'always-open', startingCash: 100_000 });
  await sim.connect();
  emulator = await startTwsEmulator({ broker: sim, port: 0 });
  admin = await startAdminChannel(emulator, { port: 0 });
  tws = createTwsBroker({ host: '127.0.0.1', port: emulator.port, clientId: 5, dataDir: mkdtempSync(join(tmpdir(), 'emu-admin-tws-')) });
  await tws.connect();
});
afterAll(async () => {
  await tws.close();
  await admin.close();
  await emulator.close();
  await sim.close();
});

describe('sim-gateway --admin-port', () => {
  it('reports the connected clients', async () => {
    const status = (await (await fetch(`http://127.0.0.1:${admin.port}/status`)).json()) as { clients: number };
    expect(status.clients).toBe(1);
  });

  it('1100 degrades the client connection and 1102 restores it', async () => {
    expect((await post('/faults/connectivity/1100')).status).toBe(200);
    await until(() => tws.status().state === 'degraded');
    await post('/faults/connectivity/1102');
    await until(() => tws.status().state === 'connected');
  });

  it('a restart drops the client, which reconnects by itself', async () => {
    expect((await post('/faults/restart?ms=300')).status).toBe(200);
    await until(() => tws.status().state !== 'connected');
    await until(() => tws.status().state === 'connected');
  });

  it('serialises overlapping restarts: both are accepted, run one after the other, and the gateway comes back', async () => {
    const [a, b] = await Promise.all([post('/faults/restart?ms=200'), post('/faults/restart?ms=200')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await until(() => tws.status().state !== 'connected');
    await until(() => tws.status().state === 'connected');
    const status = (await (await fetch(`http://127.0.0.1:${admin.port}/status`)).json()) as { clients: number };
    expect(status.clients).toBe(1);
  });

  it('refuses unknown faults and bad arguments with the error body', async () => {
    expect((await post('/faults/meteor')).status).toBe(404);
    const bad = await post('/faults/restart?ms=-1');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect((await fetch(`http://127.0.0.1:${admin.port}/faults/drop-next-ack`)).status).toBe(405);
  });

  // Last: it leaves the client's connection hung.
  it('go-silent hangs the current connections without closing them', async () => {
    expect((await post('/faults/go-silent')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const status = (await (await fetch(`http://127.0.0.1:${admin.port}/status`)).json()) as { clients: number };
    expect(status.clients).toBe(1);
  });
});
