/**
 * The audit log, read-only, for admin keys: what happened to an order (or a
 * request, by correlation id) and whether the hash chain is intact. The REST
 * API enforces the scope; a trade or read key gets FORBIDDEN with the hint.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AuditEntry, AuditPage, AuditQuery, AuditVerifyResult } from '../../core/models.js';
import { guard, ok } from '../results.js';
import { READ_ONLY, type ToolContext } from './context.js';

/** The REST query, with a smaller default page: an agent reads a trail, not the whole log. */
export const QueryAuditArgs = AuditQuery.extend({ limit: z.number().int().min(1).max(200).default(50).describe('Entries per page (1-200)') });

export function auditLine(e: AuditEntry): string {
  const who = e.userContext.apiKeyName ? ` by ${e.userContext.apiKeyName}` : '';
  return `#${e.id} ${e.timestamp} ${e.eventType}${e.orderId ? ` order ${e.orderId}` : ''} via ${e.userContext.interface}${who} [${e.correlationId}]`;
}

export function registerAuditTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'query_audit_log',
    {
      title: 'Query audit log',
      description:
        'Entries of the append-only audit log (admin key only), oldest first: every order request, risk decision, gate decision, transmission, ' +
        'status change, fill, cancel and kill-switch change, each with its correlation id, interface and API key name (never the key). ' +
        'Filter by orderId (the whole trail of one order), correlationId (everything one request did), eventType, symbol or a time range; page with afterId.',
      inputSchema: QueryAuditArgs,
      outputSchema: AuditPage,
      annotations: { title: 'Query audit log', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const page = await api.request(AuditPage, { method: 'GET', path: '/api/audit', query: args, signal: extra.signal });
        const lines = page.entries.length === 0 ? ['No audit entries match.'] : page.entries.map(auditLine);
        if (page.nextAfterId !== null) lines.push(`More entries: call again with afterId ${page.nextAfterId}.`);
        return ok(page, lines.join('\n'));
      }),
  );

  server.registerTool(
    'verify_audit_log',
    {
      title: 'Verify audit log',
      description: 'Checks the audit log\'s hash chain end to end (admin key only): ok, rows checked, and the first row that was edited or removed if any.',
      inputSchema: z.strictObject({}),
      outputSchema: AuditVerifyResult,
      annotations: { title: 'Verify audit log', ...READ_ONLY },
    },
    (_args, extra) =>
      guard(async () => {
        const r = await api.request(AuditVerifyResult, { method: 'GET', path: '/api/audit/verify', signal: extra.signal });
        return ok(r, r.ok ? `Audit chain intact: ${r.checkedRows} rows verified.` : `AUDIT CHAIN BROKEN at row ${r.firstBadId ?? '?'}: ${r.reason ?? 'unknown reason'}. Tell the user now.`);
      }),
  );
}
