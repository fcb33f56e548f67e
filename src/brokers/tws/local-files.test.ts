/**
 * The tws adapter's own files are as private as the audit log: tws-orders.db
 * (order ids, order states, fills with account ids) and bars.db (the history
 * cache), with the -wal and -shm files SQLite keeps beside them, are readable
 * by the gateway's user only, whatever the umask; files an older version left
 * readable by others are tightened when the adapter opens them.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BarCache } from './bar-cache.js';
import { OrderStore } from './order-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tws-files-'));
  dirs.push(d);
  return d;
};
const mode = (p: string): number => statSync(p).mode & 0o777;
const filesOf = (d: string, name: string): string[] => [name, `${name}-wal`, `${name}-shm`].map((f) => join(d, f));

const opens = [
  { name: 'tws-orders.db', open: (d: string) => new OrderStore(d) },
  { name: 'bars.db', open: (d: string) => new BarCache(d) },
];

describe.each(opens)('$name file modes', ({ name, open }) => {
  it('creates the database and its -wal and -shm with mode 0600', () => {
    const d = dataDir();
    const store = open(d);
    try {
      // WAL mode keeps -wal and -shm while the database is open.
      for (const p of filesOf(d, name)) expect([p, mode(p)]).toEqual([p, 0o600]);
    } finally {
      store.close();
    }
  });

  it('tightens a database an earlier version left readable by others', () => {
    const d = dataDir();
    open(d).close();
    chmodSync(join(d, name), 0o644);
    const again = open(d);
    try {
      for (const p of filesOf(d, name)) expect([p, mode(p)]).toEqual([p, 0o600]);
    } finally {
      again.close();
    }
  });
});
