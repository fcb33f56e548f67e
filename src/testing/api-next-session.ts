/**
 * Test support: each test gets a fresh emulator (makeHarness) and an
 * IBApiNext client connected to it; after the test, no decoder error (IB's
 * 505) may have been reported, and both are closed. Call it at the top level
 * of a test file; the returned object's fields are set before every test.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { firstValueFrom, filter } from 'rxjs';
import { ConnectionState, IBApiNext } from '@stoqey/ib';
import { makeHarness, type Harness } from './emulator-harness.js';

export interface ApiNextSession {
  h: Harness;
  api: IBApiNext;
  /** Every error the client reported during the current test. */
  errors: { code: number; message: string }[];
}

export function useApiNextSession(): ApiNextSession {
  const session = { errors: [] } as unknown as ApiNextSession;
  beforeEach(async () => {
    session.h = await makeHarness();
    session.api = new IBApiNext({ host: '127.0.0.1', port: session.h.emulator.port });
    session.errors = [];
    session.api.error.subscribe((e) => session.errors.push({ code: e.code, message: e.error.message }));
    session.api.connect(9);
    await firstValueFrom(session.api.connectionState.pipe(filter((s) => s === ConnectionState.Connected)));
  });
  afterEach(async () => {
    expect(session.errors.filter((e) => e.code === 505)).toEqual([]);
    session.api.disconnect();
    await session.h.close();
  });
  return session;
}
