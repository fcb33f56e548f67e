/**
 * API keys: the configured ones, or a generated admin key kept in DATA_DIR so
 * that a fresh install is usable at once and later starts keep the same key.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKey, ApiScope, Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';

export const GENERATED_KEY_FILE = 'api-key';
const GENERATED_KEY_NAME = 'generated-admin';
const ALL_SCOPES: ReadonlySet<ApiScope> = new Set<ApiScope>(['read', 'trade', 'admin']);

export interface ResolvedApiKeys {
  keys: ApiKey[];
  /** The file holding the generated key, when API_KEYS is unset. */
  generatedKeyFile: string | null;
  /** The key itself, only on the start that created it, so the caller prints it once. */
  generatedKey: string | null;
}

export function resolveApiKeys(config: Config): ResolvedApiKeys {
  if (config.api.keys !== null) return { keys: config.api.keys, generatedKeyFile: null, generatedKey: null };
  const file = join(config.dataDir, GENERATED_KEY_FILE);
  const existing = readKeyFile(file);
  if (existing !== null) return { keys: [generatedKey(existing)], generatedKeyFile: file, generatedKey: null };

  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(24).toString('base64url');
  try {
    // 'wx' fails if another process created the file first; mode 0600 keeps the key to its owner.
    writeFileSync(file, `${key}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = readKeyFile(file);
      if (raced !== null) return { keys: [generatedKey(raced)], generatedKeyFile: file, generatedKey: null };
    }
    throw err;
  }
  // The umask can only remove bits, but be explicit in case the file system ignored the mode.
  chmodSync(file, 0o600);
  return { keys: [generatedKey(key)], generatedKeyFile: file, generatedKey: key };
}

function generatedKey(key: string): ApiKey {
  return { name: GENERATED_KEY_NAME, key, scopes: ALL_SCOPES };
}

function readKeyFile(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const key = text.trim();
  if (key.length < 8 || /\s/.test(key)) {
    throw new ConfigError('API_KEYS', `Invalid configuration: ${file} does not hold a usable API key; delete it to generate a new one, or set API_KEYS`);
  }
  // A key file others can read is a leaked key: tighten it rather than refuse to start.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}
