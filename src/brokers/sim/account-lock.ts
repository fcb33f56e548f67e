/**
 * One simulated account, one owner. Two processes (a running `ibkr-gateway
 * start` and a CLI command, say) each holding the account in memory would
 * both evaluate the same working orders and overwrite each other's ledger.
 * The owner writes its pid and the command it runs to `sim.lock`; another
 * opener is refused with a message saying who holds it (a `start` gateway is
 * answered differently from a `sim-gateway` or a script). A lock whose process
 * has died is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

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

/** What this process is, for the lock file: `ibkr-gateway <command>`, or the script's name. */
export function describeHolder(argv: readonly string[] = process.argv): string {
  const script = argv[1] ?? '';
  if (/(cli[\\/]main\.[jt]s|ibkr-gateway)$/.test(script)) {
    const command = argv.slice(2).find((a) => !a.startsWith('-'));
    return command ? `ibkr-gateway ${command}` : 'ibkr-gateway';
  }
  return script ? `node ${basename(script)}` : 'node';
}

function inUseMessage(owner: number, holder: string | undefined): string {
  if (holder === 'ibkr-gateway start' || holder === 'ibkr-gateway start-api') {
    return `process ${owner} holds it (\`${holder}\`); use that gateway's REST API or MCP, or stop it first`;
  }
  return `process ${owner} holds it${holder ? ` (\`${holder}\`)` : ''}; stop it first, or use another DATA_DIR`;
}

/** Takes the lock or throws AccountInUseError; returns the release function. */
export function lockSimAccount(dataDir: string): () => void {
  mkdirSync(resolve(dataDir), { recursive: true });
  const file = join(resolve(dataDir), 'sim.lock');
  if (heldHere.has(file)) throw new AccountInUseError('another simulated broker in this process already holds this account; close it first');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n${describeHolder()}\n`);
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
      const [pidLine, holder] = readFileSync(file, 'utf8').split('\n').map((l) => l.trim());
      const owner = Number.parseInt(pidLine ?? '', 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) throw new AccountInUseError(inUseMessage(owner, holder || undefined));
      // Left by a process that died (or by this one before a crash-free restart): take it over.
      unlinkSync(file);
    }
  }
  throw new AccountInUseError('could not take the account lock');
}
