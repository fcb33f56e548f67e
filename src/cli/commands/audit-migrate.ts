/**
 * `ibkr-gateway audit migrate [--to <url>]`: copies DATA_DIR/audit.db into an
 * empty PostgreSQL store (DATABASE_URL by default), then verifies the copy end
 * to end with the same HMAC key. The gateways are pointed at the database
 * afterwards by setting DATABASE_URL (README, "Running several gateways").
 *
 * Exit codes: 0 copied and verified; 1 the source or the copy does not
 * verify; 2 bad arguments (no URL); 3 the database could not be used (or
 * already holds rows).
 */
import type { Command } from 'commander';
import type { Config } from '../../core/config.js';
import { GatewayError } from '../../core/errors.js';
import { AUDIT_EXIT, type AuditCliIo } from './audit.js';

export function registerAuditMigrate(audit: Command, loadConfig: () => Config, io: AuditCliIo = { stdout: process.stdout, stderr: process.stderr }): Command {
  return audit
    .command('migrate')
    .description('Copy DATA_DIR/audit.db into an empty PostgreSQL database (DATABASE_URL, or --to) and verify the copy end to end')
    .option('--to <url>', 'postgres:// URL of the target database (default: DATABASE_URL)')
    .action(async (opts: { to?: string }) => {
      const line = (stream: NodeJS.WritableStream, text: string): void => void stream.write(`${text}\n`);
      try {
        const config = loadConfig();
        const url = opts.to ?? config.databaseUrl;
        if (url === undefined || url === null || !/^postgres(ql)?:\/\//.test(url)) {
          line(io.stderr, 'error: give the target database with --to postgres://... or DATABASE_URL');
          process.exitCode = AUDIT_EXIT.USAGE;
          return;
        }
        // Loaded here only: neither the driver nor the PostgreSQL store is needed by any other command on SQLite.
        const [{ copySqliteToPostgres }, { describeDatabaseUrl }] = await Promise.all([import('../../core/audit/postgres/copy-from-sqlite.js'), import('../../core/audit/postgres/store.js')]);
        const report = await copySqliteToPostgres({ dataDir: config.dataDir, url, hmacKey: config.auditHmacKey });
        const counts = Object.entries(report.rows).map(([table, n]) => `${table} ${n}`).join(', ');
        line(io.stdout, `copied ${config.dataDir}/audit.db to ${describeDatabaseUrl(url)}: ${counts}`);
        line(io.stdout, `verified in PostgreSQL: ${report.target.checkedRows} chained rows intact (the source verified ${report.source.checkedRows})`);
        process.exitCode = AUDIT_EXIT.OK;
      } catch (err) {
        const code = err instanceof GatewayError ? err.code : null;
        line(io.stderr, `error: ${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = code === 'AUDIT_CORRUPT' ? AUDIT_EXIT.BROKEN : AUDIT_EXIT.UNAVAILABLE;
      }
    });
}
