// A script whose last step is `await store.close()`, after enough commits to
// have started the WAL checkpoint worker: prints 'closed' once close() has
// settled. Exit code 13 (a top-level await left unsettled) would mean close()
// waited on something that does not keep the process alive.
// argv: <compiled audit index.js> <dataDir> <commits>
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [modulePath, dataDir, commits] = process.argv.slice(2);
const { openAuditStore } = await import(pathToFileURL(modulePath).href);
const store = openAuditStore({ dataDir, hmacKey: null });
for (let i = 0; i < Number(commits); i++) {
  await store.append({ correlationId: `close-last-${i}`, eventType: 'KILL_SWITCH_CHANGED', eventData: { i }, userContext: { interface: 'cli', apiKeyName: null }, accountId: null, orderId: null, configSnapshot: null });
}
await store.close();
writeSync(1, 'closed\n');
