/**
 * Files only the gateway's own user may read: audit.db (and SQLite's -wal and
 * -shm beside it), the HMAC key and the checkpoint file. SQLite creates a
 * database 0644 and gives -wal/-shm the database file's mode, so creating the
 * database file 0600 before SQLite opens it is what makes all three private.
 */
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';

export const PRIVATE_MODE = 0o600;

/** Creates `path` empty with mode 0600 if it does not exist; never truncates an existing file. */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Takes group and other bits off an existing file (a file from before this
 * rule, or one a umask-less tool created). Best effort: a file we do not own
 * (the CLI run by another user beside the gateway) is left as it is.
 */
export function tightenMode(path: string): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, PRIVATE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM' && code !== 'EACCES') throw err;
  }
}

const SQLITE_FILES = ['', '-wal', '-shm'] as const;

/**
 * Makes a SQLite database and its -wal/-shm private before SQLite opens it:
 * the file is created 0600 (SQLite gives -wal and -shm the database's mode),
 * and files left by an older version lose their group and other bits.
 */
export function preparePrivateSqlite(path: string): void {
  createPrivateFile(path);
  for (const suffix of SQLITE_FILES) tightenMode(`${path}${suffix}`);
}
