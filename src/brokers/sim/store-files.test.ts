/**
 * The simulated account's files are private: sim.db and the -wal and -shm
 * files SQLite keeps beside it are readable by the gateway's user only,
 * whatever the umask, and a sim.db left readable by an older version is
 * tightened when the simulator opens it.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimBroker } from './index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sim-files-'));
  dirs.push(d);
  return d;
};
const mode = (p: string): number => statSync(p).mode & 0o777;
const simFiles = (d: string): string[] => ['sim.db', 'sim.db-wal', 'sim.db-shm'].map((f) => join(d, f));

describe('sim.db file modes', () => {
  it('creates sim.db, sim.db-wal and sim.db-shm with mode 0600', async () => {
    const d = dataDir();
    const broker = createSimBroker({ dataDir: d, seed: 1, session: 'always-open', startingCash: 1000 });
    await broker.connect();
    try {
      // Every file exists while the broker is connected (WAL mode keeps -wal and -shm open).
      for (const p of simFiles(d)) expect([p, mode(p)]).toEqual([p, 0o600]);
    } finally {
      await broker.close();
    }
  });

  it('tightens a sim.db that an earlier version left readable by others', async () => {
    const d = dataDir();
    const first = createSimBroker({ dataDir: d, seed: 1, session: 'always-open', startingCash: 1000 });
    await first.connect();
    await first.close();
    chmodSync(join(d, 'sim.db'), 0o644);
    const again = createSimBroker({ dataDir: d, seed: 1, session: 'always-open', startingCash: 1000 });
    await again.connect();
    try {
      for (const p of simFiles(d)) expect([p, mode(p)]).toEqual([p, 0o600]);
    } finally {
      await again.close();
    }
  });
});
