/** The `sim-gateway` command in-process: it serves a real client from the configured sim (its catalogue too), and stops on SIGINT. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { expect, it } from 'vitest';
import { EventName, IBApi } from '@stoqey/ib';
import { registerSimGatewayCommand } from '../cli/commands/sim-gateway.js';
import { recordClient, tick } from '../testing/emulator-harness.js';

it('sim-gateway serves the configured simulated account until SIGINT', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-gw-'));
  const saved = { ...process.env };
  process.env.DATA_DIR = dataDir;
  process.env.SIM_SESSION = 'always-open';
  const port = 41000 + Math.floor(Math.random() * 2000);
  const program = new Command('ibkr-gateway').exitOverride();
  registerSimGatewayCommand(program);
  const running = program.parseAsync(['node', 'ibkr-gateway', 'sim-gateway', '--port', String(port)]);
  try {
    let client = null;
    for (let i = 0; i < 50 && client === null; i++) {
      await tick(100);
      const c = recordClient(new IBApi({ host: '127.0.0.1', port }));
      c.ib.connect(1);
      try {
        await c.waitFor(EventName.nextValidId, () => true, 500);
        client = c;
      } catch {
        c.disconnect();
      }
    }
    expect(client).not.toBeNull();
    const [accounts] = (await client?.waitFor(EventName.managedAccounts)) ?? [];
    expect(String(accounts)).toMatch(/^D/);
    // The simulator's catalogue is the universe symbol search runs over.
    client?.ib.reqMatchingSymbols(5, 'AAPL');
    const [, samples] = (await client?.waitFor(EventName.symbolSamples, (a) => a[0] === 5)) ?? [];
    expect((samples as { contract: { conId: number } }[])[0]?.contract.conId).toBe(265598);
    client?.disconnect();
  } finally {
    process.emit('SIGINT');
    await running;
    process.env = saved;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  expect(process.exitCode ?? 0).toBe(0);
}, 15_000);
