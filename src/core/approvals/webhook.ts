/**
 * The approval webhook: one POST per approval event to APPROVAL_WEBHOOK_URL,
 * so a person hears of an order that waits (Slack, Telegram, e-mail: the
 * user's own relay does the routing).
 *
 * Never on the order path: notify() queues and returns; deliveries run in the
 * background, each retried with exponential back-off on a network error, a
 * timeout, 408, 429 or 5xx (any other 4xx is the receiver saying no: retrying
 * would not change its mind). The receiver checks the signature:
 *
 *   X-Gateway-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))
 *
 * with the timestamp from X-Gateway-Timestamp (reject old ones to stop replays)
 * and X-Gateway-Delivery the same on every retry of one event (deduplicate on it).
 * A delivery still retrying when the process exits is lost: the audit log and
 * the order event stream remain the record.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../logging.js';
import type { Approval } from '../models.js';

export type ApprovalEventName = 'approval.requested' | 'approval.approved' | 'approval.rejected' | 'approval.expired' | 'approval.cancelled';

export interface ApprovalNotice {
  event: ApprovalEventName;
  approval: Approval;
  correlationId: string;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  logger: Logger;
  /** Waits between attempts (ms); the first attempt is immediate. Default 1 s doubling to 64 s (8 attempts, about 2 minutes). */
  retryDelaysMs?: readonly number[];
  /** Per attempt. */
  timeoutMs?: number;
  now?: () => number;
}

const DEFAULT_DELAYS = [1000, 2000, 4000, 8000, 16000, 32000, 64000];

/** The signature a receiver recomputes: HMAC-SHA256 over `${timestamp}.${body}`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface ApprovalNotifier {
  notify(notice: ApprovalNotice): void;
  /** Resolves when every queued delivery has succeeded or given up (tests, shutdown). */
  idle(): Promise<void>;
  close(): void;
}

export const silentNotifier: ApprovalNotifier = { notify: () => undefined, idle: async () => undefined, close: () => undefined };

export function createWebhookNotifier(options: WebhookOptions): ApprovalNotifier {
  const delays = options.retryDelaysMs ?? DEFAULT_DELAYS;
  const timeoutMs = options.timeoutMs ?? 5000;
  const now = options.now ?? Date.now;
  const inFlight = new Set<Promise<void>>();
  /** Pending back-off waits, so close() can end them at once. */
  const timers = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      // A retry waiting must not keep the process alive.
      timer.unref();
      timers.set(timer, resolve);
    });

  async function attempt(body: string, delivery: string, event: string): Promise<'done' | 'retry' | 'give-up'> {
    const timestamp = new Date(now()).toISOString();
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gateway-event': event,
          'x-gateway-delivery': delivery,
          'x-gateway-timestamp': timestamp,
          'x-gateway-signature': signWebhook(options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'done';
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      options.logger.warn({ delivery, event, status: res.status }, retryable ? 'approval webhook failed; will retry' : 'approval webhook refused by the receiver; not retried');
      return retryable ? 'retry' : 'give-up';
    } catch (err) {
      options.logger.warn({ err, delivery, event }, 'approval webhook unreachable; will retry');
      return 'retry';
    }
  }

  async function deliver(notice: ApprovalNotice): Promise<void> {
    const delivery = randomUUID();
    const body = JSON.stringify({ delivery, event: notice.event, occurredAt: new Date(now()).toISOString(), correlationId: notice.correlationId, approval: notice.approval });
    for (let i = 0; ; i++) {
      if (closed) return;
      const outcome = await attempt(body, delivery, notice.event);
      if (outcome === 'done' || closed) return;
      const delay = delays[i];
      if (outcome === 'give-up' || delay === undefined) {
        options.logger.error({ delivery, event: notice.event, approvalId: notice.approval.approvalId, attempts: i + 1 }, 'approval webhook not delivered; giving up');
        return;
      }
      await wait(delay);
    }
  }

  return {
    notify(notice) {
      if (closed) return;
      const run = deliver(notice).catch((err: unknown) => options.logger.error({ err }, 'approval webhook delivery crashed'));
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    close() {
      closed = true;
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
    },
  };
}
