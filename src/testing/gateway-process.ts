/**
 * A gateway as a separate process (the built CLI's `start`) on a shared
 * PostgreSQL database, with its own DATA_DIR and simulated account, as a desk
 * runs one per account; and a REST helper for it. Tests kill every process
 * they started with `killAll()` (in afterEach) and remove the directories with
 * `removeDirs()` (in afterAll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRuntimeFile } from '../cli/runtime-file.js';

export const GATEWAY_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const DESK_HMAC = 'desk-shared-audit-key-0123456789abcdef';
export const DESK_API_KEY = 'desk-trader-key-123';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
const dirs: string[] = [];

export function tempDirFor(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export const gatewayEnv = (dataDir: string, databaseUrl: string, account: string, extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: tmpdir(),
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  AUDIT_HMAC_KEY: DESK_HMAC,
  API_KEYS: `desk=${DESK_API_KEY}:admin`,
  SIM_ACCOUNT_ID: account,
  SIM_SESSION: 'always-open',
  ORDERS_ENABLED: 'true',
  DUPLICATE_ORDER_WINDOW_SECONDS: '0',
  CIRCUIT_BREAKER_REJECTIONS: '0',
  LOG_LEVEL: 'warn',
  ...extra,
});

export async function startGatewayProcess(databaseUrl: string, account: string, extra: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = tempDirFor('ibkr-gw-proc-');
  const child = spawn(process.execPath, [GATEWAY_MAIN, 'start', '--port', '0'], { env: gatewayEnv(dataDir, databaseUrl, account, extra), cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
  running.push(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = readRuntimeFile(dataDir);
      if (found.kind === 'running' && found.info.pid === child.pid) {
        clearInterval(timer);
        resolve(found.info.url);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`start exited early: ${stderr}`));
    });
  });
  return { url, child, exited };
}

export async function rest<T = unknown>(gw: GatewayProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { 'x-api-key': DESK_API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export function killAll(): void {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

export function removeDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
