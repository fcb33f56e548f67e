/**
 * The runtime file: `start` writes DATA_DIR/gateway.json (mode 0600) once it
 * listens, saying where the gateway answers, which process it is and where its
 * API key is; a clean stop removes it. The CLI reads it to talk to the running
 * gateway over REST instead of opening the broker (and the simulator's
 * account lock) a second time. A file whose process is gone is stale: it is
 * ignored, and removed by the next `start`.
 */
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const RUNTIME_FILE = 'gateway.json';

export const RuntimeInfo = z.object({
  url: z.string().url(),
  pid: z.number().int().positive(),
  /** The file holding the generated admin key; null when the keys come from API_KEYS (the CLI reads its own environment). */
  keyFile: z.string().nullable(),
  broker: z.string(),
  startedAt: z.string(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

export const runtimeFilePath = (dataDir: string): string => join(dataDir, RUNTIME_FILE);

/** Written whole (a temporary file renamed over it), so a reader never sees half a file. */
export function writeRuntimeFile(dataDir: string, info: RuntimeInfo): string {
  const file = runtimeFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/** Removes the file if it is this process's (a newer gateway's file is left alone). */
export function removeRuntimeFile(dataDir: string, pid = process.pid): void {
  const found = readRuntimeFile(dataDir);
  if (found.kind !== 'none' && found.info.pid === pid) rmSync(runtimeFilePath(dataDir), { force: true });
}

export type RuntimeLookup = { kind: 'none' } | { kind: 'running'; info: RuntimeInfo } | { kind: 'stale'; info: RuntimeInfo };

export function readRuntimeFile(dataDir: string): RuntimeLookup {
  let text: string;
  try {
    text = readFileSync(runtimeFilePath(dataDir), 'utf8');
  } catch {
    return { kind: 'none' };
  }
  let info: RuntimeInfo;
  try {
    info = RuntimeInfo.parse(JSON.parse(text));
  } catch {
    return { kind: 'none' };
  }
  return { kind: processAlive(info.pid) ? 'running' : 'stale', info };
}

/** Signal 0 tests for a process without touching it; EPERM means it exists under another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
