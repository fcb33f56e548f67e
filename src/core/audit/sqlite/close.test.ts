/**
 * Closing the store is the last thing a script does: close() settles, and the
 * process exits normally, even when the WAL checkpoint worker (started every
 * 1,000 commits) is still at work. The worker is unref'd while it works; were
 * close() to wait for its exit without holding the process open, the script
 * would end with close() unsettled (exit code 13) and the worker cut off.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFixture } from '../../../testing/audit/children.js';
import { compileAudit } from '../../../testing/audit/compile-audit.mjs';
import { tempDir } from '../../../testing/audit/samples.js';

let modulePath: string;
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  modulePath = compileAudit(`close-${process.pid}`);
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

it('a script whose last await is close() ends with code 0 just as the checkpoint worker starts (its 1,000th commit), leaving no WAL behind', async () => {
  for (let run = 0; run < 3; run++) {
    const dataDir = join(dir, `run-${run}`);
    const child = runFixture('close-last.mjs', [modulePath, dataDir, '1000']);
    const exit = await child.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 0 });
    expect(child.lines).toContain('closed');
    expect(existsSync(join(dataDir, 'audit.db-wal')), readdirSync(dataDir).join(', ')).toBe(false);
  }
}, 120_000);
