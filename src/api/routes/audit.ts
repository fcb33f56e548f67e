/** GET /api/audit (query, paged) and GET /api/audit/verify (hash chain check): admin only. */
import type { GatewayClient } from '../../core/client/interface.js';
import { AuditPage, AuditQuery, AuditVerifyResult } from '../../core/models.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function auditRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/audit',
    secured('admin', 'audit', 'Query the append-only audit log; page with afterId', { querystring: AuditQuery, response: { 200: AuditPage, ...errorResponses } }),
    async (request) => client.queryAudit(request.query),
  );
  app.get(
    '/api/audit/verify',
    secured('admin', 'audit', 'Verify the audit hash chain: detects edited or removed rows', { response: { 200: AuditVerifyResult, ...errorResponses } }),
    async () => client.verifyAudit(),
  );
}
