/** The AuditStore contract (src/testing/store-spec) on the PostgreSQL store: one real server for the file, a fresh database per case. */
import { afterAll } from 'vitest';
import { tempDir } from '../../../testing/audit/samples.js';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { describeStoreContract } from '../../../testing/store-spec/index.js';
import { openPostgresStore } from './store.js';

const KEY = 's'.repeat(40);
let server: Promise<TestPostgres> | null = null;
afterAll(async () => {
  await (await server)?.destroy();
});

describeStoreContract('postgres', async () => {
  server ??= startTestPostgres();
  const url = await (await server).createDatabase('contract');
  const { dir, cleanup } = tempDir();
  const open = () => openPostgresStore({ url, dataDir: dir, hmacKey: KEY });
  return { store: await open(), reopen: open, cleanup: async () => cleanup() };
});
