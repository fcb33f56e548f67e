/**
 * Every failure inside the audit store leaves it as an AuditError with code
 * AUDIT_UNAVAILABLE, so the order path has one thing to catch before it
 * refuses to transmit. Errors that already carry a domain meaning
 * (IdempotencyConflictError, AuditError) pass through unchanged.
 */
import { AuditError, GatewayError } from '../../errors.js';

/** The SQLite result code, when the error came from SQLite (better-sqlite3 sets `code`). */
export function sqliteCode(err: unknown): string | null {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE_')) return err.code;
  return null;
}

export function toAuditError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = sqliteCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  return new AuditError(`Audit log unavailable while trying to ${what}: ${reason}`, 'AUDIT_UNAVAILABLE', code ? { sqliteCode: code } : undefined, { cause: err });
}

/** Runs `fn`, converting anything it throws into an AuditError. */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toAuditError(err, what);
  }
}
