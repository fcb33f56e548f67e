/**
 * The audit chain's HMAC key. It lives outside the database so that someone
 * who can write audit.db (but not read the key) cannot recompute the chain.
 *
 * Source, in order: AUDIT_HMAC_KEY (a secret store can inject it and the file
 * system never holds it), else DATA_DIR/audit.key, generated on first start
 * with mode 0600. The key is the UTF-8 bytes of the text, so moving the file's
 * content into AUDIT_HMAC_KEY keeps the same key.
 *
 * The key id (a hash of the key) is recorded beside the chain, so "another
 * key" is reported as such instead of as a tampered row.
 */
import { randomBytes } from 'node:crypto';
import { fsyncSync, linkSync, openSync, readFileSync, closeSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../hashing.js';
import { PRIVATE_MODE, tightenMode } from './private-files.js';

export const AUDIT_KEY_FILE = 'audit.key';
export const MIN_KEY_LENGTH = 32;

export interface AuditKey {
  readonly bytes: Buffer;
  /** 16 hex characters identifying the key; not usable to recover it. */
  readonly id: string;
  readonly source: 'AUDIT_HMAC_KEY' | 'file' | 'generated';
}

export const auditKeyPath = (dataDir: string): string => join(dataDir, AUDIT_KEY_FILE);

export function keyFromText(text: string, source: AuditKey['source']): AuditKey {
  const trimmed = text.trim();
  if (trimmed.length < MIN_KEY_LENGTH) throw new RangeError(`the audit HMAC key must be at least ${MIN_KEY_LENGTH} characters`);
  return { bytes: Buffer.from(trimmed, 'utf8'), id: sha256Hex(`ibkr-gateway audit key id\n${trimmed}`).slice(0, 16), source };
}

/** The key in DATA_DIR/audit.key, or null when there is none. */
export function readKeyFile(dataDir: string): AuditKey | null {
  const path = auditKeyPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  tightenMode(path);
  try {
    return keyFromText(text, 'file');
  } catch {
    throw new RangeError(`${path} does not hold a usable audit HMAC key (at least ${MIN_KEY_LENGTH} characters)`);
  }
}

/**
 * Creates DATA_DIR/audit.key. Written to a private temporary file, flushed,
 * then hard-linked into place: a crash never leaves an empty or half-written
 * key, and when two processes race the first link wins and both use its key.
 */
export function generateKeyFile(dataDir: string): AuditKey {
  const path = auditKeyPath(dataDir);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const text = `${randomBytes(32).toString('hex')}\n`;
  const fd = openSync(tmp, 'wx', PRIVATE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = readKeyFile(dataDir);
    if (winner === null) throw err;
    return winner;
  } finally {
    unlinkSync(tmp);
  }
  return keyFromText(text, 'generated');
}
