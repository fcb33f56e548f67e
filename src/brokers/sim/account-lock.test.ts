import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountInUseError, describeHolder, lockSimAccount } from './account-lock.js';
import { createSimBroker, resetSimAccount } from './index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sim-lock-'));
const sim = (dataDir: string) => createSimBroker({ dataDir, seed: 1, session: 'always-open', startingCash: 1000 });

describe('one owner per simulated account', () => {
  it('a second broker on the same DATA_DIR is refused until the first closes', async () => {
    const dataDir = dir();
    const first = sim(dataDir);
    await first.connect();
    const second = sim(dataDir);
    await expect(second.connect()).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE', message: expect.stringContaining('in this process') });
    expect(() => resetSimAccount(dataDir, 5000)).toThrow(AccountInUseError);
    await first.close();
    await second.connect();
    expect(second.status().connected).toBe(true);
    await second.close();
    expect(existsSync(join(dataDir, 'sim.lock'))).toBe(false);
  });

  it('names the live process that holds it', async () => {
    const dataDir = dir();
    // A live process other than this one: a child that just waits.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, 'sim.lock'), String(child.pid));
      expect(() => lockSimAccount(dataDir)).toThrow(new RegExp(`process ${child.pid} holds it`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('says which command holds it, and only a `start` gateway is offered as the way in', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const emulatorDir = dir();
      writeFileSync(join(emulatorDir, 'sim.lock'), `${child.pid}\nibkr-gateway sim-gateway\n`);
      expect(() => lockSimAccount(emulatorDir)).toThrow(`process ${child.pid} holds it (\`ibkr-gateway sim-gateway\`); stop it first, or use another DATA_DIR`);
      const gatewayDir = dir();
      writeFileSync(join(gatewayDir, 'sim.lock'), `${child.pid}\nibkr-gateway start\n`);
      expect(() => lockSimAccount(gatewayDir)).toThrow(`process ${child.pid} holds it (\`ibkr-gateway start\`); use that gateway's REST API or MCP, or stop it first`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('records the command the holding process runs', () => {
    expect(describeHolder(['/usr/bin/node', '/opt/ibkr-gateway/dist/cli/main.js', 'sim-gateway', '--port', '4002'])).toBe('ibkr-gateway sim-gateway');
    expect(describeHolder(['/usr/bin/node', '/usr/local/bin/ibkr-gateway', 'start'])).toBe('ibkr-gateway start');
    expect(describeHolder(['/usr/bin/node', '/home/me/bot/trade.js'])).toBe('node trade.js');
  });

  it('creates DATA_DIR when it does not exist yet', async () => {
    const broker = sim(join(dir(), 'not', 'yet'));
    await broker.connect();
    await broker.close();
  });

  it('takes over a lock left by a process that died', () => {
    const dataDir = dir();
    writeFileSync(join(dataDir, 'sim.lock'), '2147483646');
    const release = lockSimAccount(dataDir);
    release();
  });
});
