/**
 * Approvals: orders that wait for a person before they are sent (issue 23).
 *
 *   policy.ts   which orders wait (APPROVAL_REQUIRED, APPROVAL_FILE)
 *   hold.ts     holding an order: PENDING_APPROVAL with an expiry, nothing sent
 *   records.ts  reading approvals back from the store (order + audit rows)
 *   decide.ts   approve (re-assess, send once), reject, withdraw, expire, kill switch
 *   webhook.ts  the signed, retried notification
 */
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { systemContext, type Logger } from '../logging.js';
import { forRequest, type ApprovalRuntime, type OrderContext } from '../orders/context.js';
import { expireDue } from './decide.js';
import { loadApprovalRules } from './policy.js';
import { createWebhookNotifier, silentNotifier } from './webhook.js';

export { approveOrder, rejectOrder, expireDue } from './decide.js';
export { listApprovals, readApproval, isApprovalId } from './records.js';

export function createApprovalRuntime(config: Config, logger: Logger): ApprovalRuntime {
  const { webhookUrl, webhookSecret, file } = config.approvals;
  if (webhookUrl !== null && webhookSecret === null) {
    throw new ConfigError('APPROVAL_WEBHOOK_SECRET', 'Invalid configuration: APPROVAL_WEBHOOK_URL is set but APPROVAL_WEBHOOK_SECRET is not; the webhook is always signed (at least 16 characters)');
  }
  return {
    rules: loadApprovalRules(file),
    notifier: webhookUrl !== null && webhookSecret !== null ? createWebhookNotifier({ url: webhookUrl, secret: webhookSecret, logger }) : silentNotifier,
  };
}

/** Settles expired approvals (and, with the kill switch engaged, every pending one) every `everyMs`, whoever else is running. */
export function startExpirySweep(ctx: OrderContext, everyMs = 1000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // System work: each sweep's rows and lines carry a correlation id of their own.
    const sweep = forRequest(ctx, systemContext());
    void expireDue(sweep)
      .catch((err: unknown) => sweep.logger.error({ err }, 'approval expiry sweep failed; the next one retries'))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  // The sweep must never keep a process (a library script, a test) alive.
  timer.unref();
  return () => clearInterval(timer);
}
