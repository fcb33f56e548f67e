/** The AuditStore contract (src/testing/store-spec) on the SQLite store, one temporary DATA_DIR per case. */
import { tempDir } from '../../../testing/audit/samples.js';
import { describeStoreContract } from '../../../testing/store-spec/index.js';
import { openAuditStore } from './store.js';

describeStoreContract('sqlite', async () => {
  const { dir, cleanup } = tempDir();
  const open = () => openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
  return { store: open(), reopen: async () => open(), cleanup: async () => cleanup() };
});
