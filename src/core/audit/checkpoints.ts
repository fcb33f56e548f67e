/**
 * Signed checkpoints of the chain heads, outside the database.
 *
 * DATA_DIR/audit.checkpoints (mode 0600) gets one JSON line per checkpoint:
 * the time, the key id, each chain's head (last row id and hash) and HMAC
 * upgrade point, and an HMAC over all of it. The store writes one after a
 * durable write once enough rows or time have passed, and at close; each is
 * also handed to the caller to log, so a copy lives wherever the logs go.
 *
 * The chain alone cannot tell a file whose last rows were deleted (and head
 * moved back) from one that never had them; a checkpoint can: every row it
 * names must still be there with the same hash. Lines are only appended. A
 * line that is not JSON at all is a write a crash cut short (the next
 * checkpoint starts on a new line after it) and claims nothing, so it is
 * skipped; a JSON line whose HMAC does not hold is an alteration.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredAnchor } from './anchors.js';
import { CHAIN_OK, CHAINS, type ChainCheck, type ChainHead, type ChainName, GENESIS_HASH, type Sealer } from './chain.js';
import { PRIVATE_MODE, tightenMode } from './private-files.js';

export const CHECKPOINT_FILE = 'audit.checkpoints';
export const checkpointPath = (dataDir: string): string => join(dataDir, CHECKPOINT_FILE);

export interface Checkpoint {
  at: string;
  keyId: string;
  heads: Record<ChainName, { id: number; hash: string }>;
  /** First HMAC row of each chain (chain_anchors). */
  macFrom: Record<ChainName, number>;
  mac: string;
}

export interface CheckpointLine {
  line: number;
  text: string;
}

const body = (cp: Omit<Checkpoint, 'mac'>): unknown => ({ checkpoint: { at: cp.at, keyId: cp.keyId, heads: cp.heads, macFrom: cp.macFrom } });

export type HeadSnapshot = Record<ChainName, ChainHead>;

/** Every chain's head, read inside a write transaction so it is what that commit made durable. */
export function snapshotHeads(heads: { get(chain: ChainName): ChainHead | null }): HeadSnapshot {
  const head = (c: ChainName): ChainHead => heads.get(c) ?? { lastId: 0, lastHash: GENESIS_HASH };
  return Object.fromEntries(CHAINS.map((c) => [c, head(c)])) as HeadSnapshot;
}

export function signCheckpoint(at: string, snapshot: HeadSnapshot, anchors: ReadonlyMap<ChainName, StoredAnchor>, sealer: Sealer): Checkpoint {
  const unsigned = {
    at,
    keyId: sealer.key.id,
    heads: Object.fromEntries(CHAINS.map((c) => [c, { id: snapshot[c].lastId, hash: snapshot[c].lastHash }])) as Checkpoint['heads'],
    macFrom: Object.fromEntries(CHAINS.map((c) => [c, anchors.get(c)?.firstMacId ?? 1])) as Checkpoint['macFrom'],
  };
  return { ...unsigned, mac: sealer.mac(body(unsigned)) };
}

/** Appends one line, starting a new line first if a crash left the last one unfinished. */
export function appendCheckpoint(path: string, cp: Checkpoint): void {
  const fd = openSync(path, 'a+', PRIVATE_MODE);
  try {
    const size = fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    // One write of a short line with O_APPEND: lines from two processes never interleave.
    writeSync(fd, `${prefix}${JSON.stringify(cp)}\n`);
  } finally {
    closeSync(fd);
  }
  tightenMode(path);
}

/** Every complete line, numbered from 1; [] when there is no file. */
export function readCheckpointLines(path: string): CheckpointLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n');
  lines.pop(); // after the last newline: '' or a torn line
  return lines.map((t, i) => ({ line: i + 1, text: t })).filter((l) => l.text.trim() !== '');
}

/** The last complete line, read from the end of the file (it only grows). */
export function readLastCheckpointLine(path: string): CheckpointLine | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    for (let span = 4096; ; span *= 4) {
      const start = Math.max(0, size - span);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n');
      lines.pop();
      const complete = start === 0 ? lines : lines.slice(1);
      const last = [...complete].reverse().find((l) => isJson(l));
      if (last !== undefined) return { line: 0, text: last };
      if (start === 0) return null;
    }
  } finally {
    closeSync(fd);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const where = (l: CheckpointLine, at?: string): string => `the checkpoint${at ? ` of ${at}` : ''} (${CHECKPOINT_FILE}${l.line > 0 ? ` line ${l.line}` : ', last line'})`;

/** Parses a line and checks its HMAC; returns the checkpoint, why it cannot be trusted, or null for a torn write. */
export function parseCheckpoint(l: CheckpointLine, sealer: Sealer | null): Checkpoint | string | null {
  let cp: Checkpoint;
  try {
    cp = JSON.parse(l.text) as Checkpoint;
  } catch {
    return null;
  }
  if (typeof cp !== 'object' || cp === null || typeof cp.mac !== 'string' || typeof cp.heads !== 'object' || typeof cp.macFrom !== 'object') {
    return `${where(l)} is not a checkpoint: the file was altered`;
  }
  if (sealer === null) return `${where(l, cp.at)} cannot be checked: the audit HMAC key is not available`;
  if (cp.keyId !== sealer.key.id) return `${where(l, cp.at)} was signed with HMAC key ${cp.keyId}, but the key in use is ${sealer.key.id}`;
  if (sealer.mac(body(cp)) !== cp.mac) return `${where(l, cp.at)} does not match its HMAC: the file was altered`;
  return cp;
}

/** What a check against a checkpoint reads from the store: a chain row's hash, and a chain's highest id. */
export interface ChainRows {
  hashAt(chain: ChainName, id: number): string | undefined;
  maxId(chain: ChainName): number;
}

/** Every row the checkpoint names must still be in the database with the same hash, and the upgrade points unmoved. */
export function checkAgainstDatabase(rows: ChainRows, l: CheckpointLine, cp: Checkpoint, anchors: ReadonlyMap<ChainName, StoredAnchor>): ChainCheck {
  for (const chain of CHAINS) {
    const head = cp.heads[chain] as { id: number; hash: string } | undefined;
    const macFrom = cp.macFrom[chain] as number | undefined;
    if (head === undefined || macFrom === undefined) return { ok: false, checkedRows: 0, firstBadId: null, reason: `${where(l, cp.at)} has no ${chain} head` };
    const bad = (id: number, reason: string): ChainCheck => ({ ok: false, checkedRows: 0, firstBadId: id, reason: `${chain} row ${id}: ${reason}` });
    const anchor = anchors.get(chain);
    if (anchor !== undefined && anchor.firstMacId !== macFrom) {
      return bad(Math.min(anchor.firstMacId, macFrom), `the HMAC upgrade point moved from row ${macFrom} (${where(l, cp.at)}) to row ${anchor.firstMacId}: the database was rewritten`);
    }
    if (head.id === 0) continue;
    const hash = rows.hashAt(chain, head.id);
    if (hash === undefined) {
      const end = rows.maxId(chain);
      const from = Math.min(end + 1, head.id);
      return bad(from, `${from === head.id ? `row ${head.id} is` : `rows ${from}-${head.id} are`} missing: ${where(l, cp.at)} recorded the chain up to row ${head.id} (the tail was truncated)`);
    }
    if (hash !== head.hash) return bad(head.id, `its hash differs from ${where(l, cp.at)}: the chain was rewritten`);
  }
  return CHAIN_OK(0);
}
