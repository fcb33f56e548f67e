/**
 * One simulated account, one owner. Two processes (a running `ibkr-gateway
 * start` and a CLI command, say) each holding the account in memory would
 * both evaluate the same working orders and overwrite each other's ledger.
 * The owner writes its pid to `sim.lock`; another opener is refused with a
 * message saying who holds it. A lock whose process has died is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const heldHere = new Set<string>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class AccountInUseError extends Error {}

/** Takes the lock or throws AccountInUseError; returns the release function. */
export function lockSimAccount(dataDir: string): () => void {
  mkdirSync(resolve(dataDir), { recursive: true });
  const file = join(resolve(dataDir), 'sim.lock');
  if (heldHere.has(file)) throw new AccountInUseError('another simulated broker in this process already holds this account; close it first');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(file);
      return () => {
        heldHere.delete(file);
        try {
          unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new AccountInUseError(`process ${owner} holds it (is \`ibkr-gateway start\` running on this DATA_DIR?); use that gateway's REST API or MCP, or stop it first`);
      }
      // Left by a process that died (or by this one before a crash-free restart): take it over.
      unlinkSync(file);
    }
  }
  throw new AccountInUseError('could not take the account lock');
}
