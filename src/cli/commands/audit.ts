/**
 * `ibkr-gateway audit verify | query | export`.
 *
 * Exit codes (process.exitCode, never process.exit, so the caller can clean up):
 *   0  done (verify: the chains are intact)
 *   1  verify found a broken chain; the first bad row is named on stderr
 *   2  bad arguments
 *   3  the audit log could not be opened or read
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import { CHECKPOINT_FILE } from '../../core/audit/checkpoints.js';
import { exportAudit, type ExportFormat } from '../../core/audit/export.js';
import type { AuditStore } from '../../core/audit/types.js';
import { GatewayError } from '../../core/errors.js';
import { AuditEventType, type AuditEntry, AuditQuery, type AuditVerifyResult } from '../../core/models.js';
import { UsageError } from '../run.js';

export interface AuditCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const AUDIT_EXIT = { OK: 0, BROKEN: 1, USAGE: 2, UNAVAILABLE: 3 } as const;

interface FilterOptions {
  orderId?: string;
  correlationId?: string;
  account?: string;
  eventType?: string;
  symbol?: string;
  since?: string;
  until?: string;
}

interface QueryOptions extends FilterOptions {
  afterId?: string;
  limit: string;
  json?: boolean;
}

interface ExportOptions extends FilterOptions {
  format: ExportFormat;
  out?: string;
}


/** Accepts any date the user is likely to type ("2026-01-05", "2026-01-05T10:00:00+01:00") and stores UTC ISO. */
function toUtcIso(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${value}" is not a date or time (use ISO 8601, e.g. 2026-01-05T14:30:00Z)`);
  return new Date(ms).toISOString();
}

function parseQuery(o: FilterOptions & { afterId?: string; limit?: string }): AuditQuery {
  const parsed = AuditQuery.safeParse({
    orderId: o.orderId,
    correlationId: o.correlationId,
    accountId: o.account,
    eventType: o.eventType?.toUpperCase(),
    symbol: o.symbol,
    from: toUtcIso(o.since, '--since'),
    to: toUtcIso(o.until, '--until'),
    afterId: o.afterId,
    limit: o.limit,
  });
  if (!parsed.success) {
    const flags: Record<string, string> = { accountId: 'account', from: 'since', to: 'until', afterId: 'after-id', orderId: 'order-id', correlationId: 'correlation-id', eventType: 'event-type' };
    const first = parsed.error.issues[0];
    const field = first ? String(first.path[0] ?? '') : '';
    throw new UsageError(`--${flags[field] ?? field}: ${first?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function describe(entry: AuditEntry): string {
  const parts = [`#${entry.id}`, entry.timestamp, entry.eventType.padEnd(22)];
  if (entry.orderId !== null) parts.push(`order=${entry.orderId}`);
  if (entry.accountId !== null) parts.push(`account=${entry.accountId}`);
  parts.push(`via=${entry.userContext.interface}${entry.userContext.apiKeyName ? `:${entry.userContext.apiKeyName}` : ''}`);
  parts.push(`correlation=${entry.correlationId}`);
  return parts.join('  ');
}

/** Without a checkpoint a truncated tail cannot be told from a short log: say which case this is. */
function checkpointSummary(checkpoints: AuditVerifyResult['checkpoints']): string {
  if (checkpoints === undefined || checkpoints.count === 0) return `no signed checkpoint yet (${CHECKPOINT_FILE}), so a truncated tail could not be checked`;
  const n = checkpoints.count === 1 ? '1 signed checkpoint' : `${checkpoints.count} signed checkpoints`;
  return `consistent with ${n} (last ${checkpoints.lastAt ?? '?'})`;
}

const write = (stream: NodeJS.WritableStream, text: string): void => {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** Opens the store, runs `fn`, closes it, and turns failures into an exit code and one line on stderr. */
async function withStore(openStore: () => AuditStore | Promise<AuditStore>, io: AuditCliIo, fn: (store: AuditStore) => Promise<number> | number): Promise<void> {
  let store: AuditStore | null = null;
  try {
    store = await openStore();
    process.exitCode = await fn(store);
  } catch (err) {
    if (err instanceof UsageError) {
      write(io.stderr, `error: ${err.message}`);
      process.exitCode = AUDIT_EXIT.USAGE;
    } else {
      const message = err instanceof Error ? err.message : String(err);
      const code = err instanceof GatewayError ? `${err.code}: ` : '';
      write(io.stderr, `error: ${code}${message}`);
      process.exitCode = AUDIT_EXIT.UNAVAILABLE;
    }
  } finally {
    await store?.close();
  }
}

const filterOptions = (cmd: Command): Command =>
  cmd
    .option('--order-id <id>', 'only rows about this order')
    .option('--correlation-id <id>', 'only rows of this request')
    .option('--account <id>', 'only rows for this account')
    .addOption(new Option('--event-type <type>', 'only rows of this event type').choices(AuditEventType.options))
    .option('--symbol <symbol>', 'only rows about this instrument')
    .option('--since <time>', 'rows at or after this time (ISO 8601; UTC unless an offset is given)')
    .option('--until <time>', 'rows before this time');

export function registerAuditCommands(
  program: Command,
  openStore: () => AuditStore | Promise<AuditStore>,
  io: AuditCliIo = { stdout: process.stdout, stderr: process.stderr },
): Command {
  const audit = program.command('audit').description('Verify, search and export the append-only audit log (data/audit.db)');

  audit
    .command('verify')
    .description('Walk the HMAC chains (audit_log, order_history, state_log) and check them against the signed checkpoints; exit 0 when intact, 1 naming the first bad row')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) =>
      withStore(openStore, io, async (store) => {
        const result = await store.verify();
        if (opts.json) write(io.stdout, JSON.stringify(result));
        if (result.ok) {
          if (!opts.json) write(io.stdout, `audit log intact: ${result.checkedRows} rows verified, ${checkpointSummary(result.checkpoints)}`);
          return AUDIT_EXIT.OK;
        }
        const at = result.firstBadId === null ? '' : ` at row ${result.firstBadId}`;
        write(io.stderr, `audit log verification FAILED${at}: ${result.reason ?? 'unknown reason'}`);
        return AUDIT_EXIT.BROKEN;
      }),
    );

  filterOptions(audit.command('query').description('Search the audit log, oldest first; page with --after-id'))
    .option('--after-id <id>', 'paging cursor: rows with id greater than this')
    .option('--limit <n>', 'rows per page (1-1000)', '50')
    .option('--json', 'print the page as JSON ({ entries, nextAfterId })')
    .action((opts: QueryOptions) =>
      withStore(openStore, io, async (store) => {
        const page = await store.query(parseQuery(opts));
        if (opts.json) {
          write(io.stdout, JSON.stringify(page));
          return AUDIT_EXIT.OK;
        }
        for (const entry of page.entries) write(io.stdout, describe(entry));
        if (page.entries.length === 0) write(io.stderr, 'no matching audit rows');
        if (page.nextAfterId !== null) write(io.stderr, `more rows: repeat with --after-id ${page.nextAfterId}`);
        return AUDIT_EXIT.OK;
      }),
    );

  filterOptions(audit.command('export').description('Export the audit log as CSV or JSON Lines, oldest first'))
    .addOption(new Option('--format <format>', 'csv or jsonl').choices(['csv', 'jsonl']).makeOptionMandatory())
    .option('--out <file>', 'write to this file instead of stdout')
    .action((opts: ExportOptions) =>
      withStore(openStore, io, async (store) => {
        const { afterId: _afterId, limit: _limit, ...filter } = parseQuery(opts);
        // Streamed with back-pressure: an export of any size runs in constant memory.
        const source = Readable.from(exportAudit(store, opts.format, filter));
        if (opts.out !== undefined) {
          await pipeline(source, createWriteStream(opts.out));
          write(io.stderr, `audit log exported to ${opts.out}`);
        } else {
          await pipeline(source, io.stdout, { end: false });
        }
        return AUDIT_EXIT.OK;
      }),
    );

  return audit;
}
