/**
 * Approvals: the orders held for a person, and the person's decision. The
 * rules (four eyes, spec-hash binding, re-assessment, a single send) are the
 * core's; these routes carry the path id and body across. Listing needs read;
 * deciding needs the approve scope, on a key other than the one that placed
 * the order.
 */
import { z } from 'zod';
import type { GatewayClient } from '../../core/client/interface.js';
import { Approval, ApprovalDecision, ApprovalListQuery, ApproveRequest, OrderId, RejectRequest } from '../../core/models.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

const ApprovalParams = z.strictObject({ approvalId: OrderId });

export function approvalRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/approvals',
    secured('read', 'approvals', 'Orders held for approval (state=pending by default, newest first), with the requester, expiry, spec hash and risk checks', {
      querystring: ApprovalListQuery,
      response: { 200: z.array(Approval), ...errorResponses },
    }),
    (request) => client.listApprovals(request.query),
  );

  app.get(
    '/api/approvals/:approvalId',
    secured('read', 'approvals', 'One approval and where it stands', { params: ApprovalParams, response: { 200: Approval, ...errorResponses } }),
    (request) => client.getApproval(request.params.approvalId),
  );

  app.post(
    '/api/approvals/:approvalId/approve',
    secured('approve', 'approvals', 'Approve a held order: assessed again (price tolerance, risk limits, gates, kill switch), then sent once. 403 APPROVAL_OWN_ORDER for the key that placed it; a replay answers with the same decision', {
      params: ApprovalParams,
      body: ApproveRequest,
      response: { 200: ApprovalDecision, ...errorResponses },
    }),
    (request) => client.approveOrder(request.params.approvalId, request.body),
  );

  app.post(
    '/api/approvals/:approvalId/reject',
    secured('approve', 'approvals', 'Reject a held order with a reason; nothing is sent', {
      params: ApprovalParams,
      body: RejectRequest,
      response: { 200: ApprovalDecision, ...errorResponses },
    }),
    (request) => client.rejectOrder(request.params.approvalId, request.body),
  );
}
