/**
 * A real PostgreSQL server for tests. By default each test file starts its own
 * throw-away cluster from Debian's postgresql binaries (initdb in a temporary
 * directory, a free loopback port, trust authentication, stopped and removed
 * at the end); `.ci/run` installs the `postgresql` package when it is absent.
 * With PG_TEST_URL=postgres://user:pass@host:port/db set, tests use that
 * server instead and create (and drop) databases of their own on it.
 *
 * As root (CI containers), initdb and postgres refuse to run, so they are
 * started as the `postgres` system user the Debian package creates.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** A new, empty database; its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (a fast shutdown: open connections are cut), keeping its data. No-op for PG_TEST_URL. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data after stop(). */
  start(): Promise<void>;
  /** Stops it, drops what it created and removes its directory. */
  destroy(): Promise<void>;
  /** True when the server is our own cluster (stop/start are possible). */
  readonly owned: boolean;
}

export interface StartOptions {
  /** fsync the WAL (default false: tests do not survive a power cut, benchmarks set true). */
  durable?: boolean;
}

/** The newest installed PostgreSQL bin directory, or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

/** True when tests can get a PostgreSQL server (PG_TEST_URL, or the binaries to start one). */
export const postgresAvailable = (): boolean => Boolean(process.env.PG_TEST_URL) || postgresBinDir() !== null;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** uid/gid to run the server binaries as: ourselves, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

let counter = 0;
const dbName = (prefix: string): string => `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');

async function waitReady(url: string, child: ChildProcess | null, deadlineMs: number): Promise<void> {
  let lastError: unknown = null;
  while (Date.now() < deadlineMs) {
    if (child !== null && child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode} while starting`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`PostgreSQL did not become ready: ${String(lastError)}`);
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const withDatabase = (url: string, db: string): string => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

export async function startTestPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const external = process.env.PG_TEST_URL;
  const created: string[] = [];
  const createDatabase = (adminUrl: string) => async (prefix = 'test'): Promise<string> => {
    const name = dbName(prefix);
    await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    created.push(name);
    return withDatabase(adminUrl, name);
  };
  if (external) {
    return {
      owned: false,
      createDatabase: createDatabase(external),
      stop: async () => undefined,
      start: async () => undefined,
      destroy: async () => {
        await withAdmin(external, async (c) => {
          for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        });
      },
    };
  }
  return startOwnCluster(options, createDatabase);
}

async function startOwnCluster(options: StartOptions, createDatabase: (adminUrl: string) => (prefix?: string) => Promise<string>): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (bin === null) throw new Error('PostgreSQL is not installed (apt-get install postgresql, or set PG_TEST_URL)');
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-pg-'));
  if (as !== null) chownSync(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
    stdio: 'pipe',
    cwd: dir,
    ...(as ?? {}),
  });
  const port = await freePort();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const settings = [
    `port=${port}`,
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${dir}`,
    `fsync=${options.durable ? 'on' : 'off'}`,
    'max_connections=200',
    'shared_buffers=32MB',
  ];
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    // cwd: the data's parent, which the server user can enter (the test's cwd may not be).
    const started = spawn(join(bin, 'postgres'), ['-D', data, ...settings.flatMap((s) => ['-c', s])], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...(as ?? {}) });
    let stderr = '';
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    child = started;
    try {
      await waitReady(adminUrl, started, Date.now() + 20_000);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${stderr}`);
    }
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGINT'); // fast shutdown: roll back open transactions, cut connections
    await exited;
  };
  // A test runner killed mid-file must not leave a server behind.
  const onExit = (): void => {
    const running: ChildProcess | null = child;
    if (running !== null) running.kill('SIGKILL');
  };
  process.once('exit', onExit);
  try {
    await start();
  } catch (err) {
    await stop();
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    owned: true,
    createDatabase: createDatabase(adminUrl),
    stop,
    start,
    destroy: async () => {
      await stop();
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
