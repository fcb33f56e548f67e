/**
 * GET /health's status code follows the broker connection, with or without a
 * key: monitors that poll it without one (and read only the code) see a dead
 * broker as 503 as soon as a keyed caller does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, KEYS, startTestServer, type TestServer } from '../testing/api-harness.js';

let s: TestServer | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

describe('GET /health and the broker connection', () => {
  it('answers 200 ok while the broker is connected and 503 down once it is not, keyless and keyed alike', async () => {
    s = await startTestServer();
    expect(await call(s.url, '/health', { key: null })).toMatchObject({ status: 200, body: { status: 'ok' } });

    await s.client.broker.close();
    const keyless = await call(s.url, '/health', { key: null });
    expect(keyless.status).toBe(503);
    // Still the status alone: no broker details for a caller without a key.
    expect(keyless.body).toEqual({ status: 'down' });
    const keyed = await call(s.url, '/health', { key: KEYS.read });
    expect(keyed).toMatchObject({ status: 503, body: { status: 'down', broker: { state: 'disconnected', accounts: [] } } });
  });
});
