/**
 * Publishes this gateway's accounts' exposure to the store, so every other
 * gateway's desk-wide checks (desk.ts) can count them: at start (before the
 * gateway takes orders), after every fill or order-less execution, when the
 * broker connection comes back, and every `publishIntervalSeconds` in between
 * (market moves change the value of a book nobody trades). Only when the risk
 * file sets desk limits: without them nobody reads the publications, and a
 * single gateway writes nothing more than before.
 *
 * What is published per account, in the desk currency when the account's
 * figures carry a rate to it (else in the account's currency, which the desk
 * checks then refuse to add):
 * - gross exposure: the broker's gross position value (every position at mark,
 *   in the account's currency), the figure the account's own gross check uses;
 * - the day's P&L: realised from the store's fills (as the daily-loss check
 *   counts it) plus the broker's unrealised;
 * - the account's own gross-exposure and daily-loss limits, which a stale
 *   publication counts as at least.
 *
 * Working orders are not published: each gateway's own checks count its
 * working orders, and the desk counts what has filled.
 */
import { Decimal } from 'decimal.js';
import type { AuditStore, ExposurePublication } from '../audit/types.js';
import type { Broker } from '../broker/port.js';
import type { Clock } from '../clock.js';
import { systemContext, type Logger } from '../logging.js';
import { rateToDesk } from './desk.js';
import type { RiskEngine } from './types.js';

export interface PublisherDeps {
  broker: Broker;
  audit: AuditStore;
  risk: RiskEngine;
  clock: Clock;
  logger: Logger;
  identityFor(accountId: string): string;
}

export interface ExposurePublisher {
  /** Publishes every account now (a call while one runs is folded into one more run after it). */
  publishNow(): Promise<void>;
  /** Stops publishing; resolves once a publication in flight has finished (before the store closes). */
  stop(): Promise<void>;
}

const noPublisher: ExposurePublisher = { publishNow: async () => undefined, stop: async () => undefined };

/** One account's figures as they go to the store. */
export async function exposureOf(deps: PublisherDeps, accountId: string, deskCurrency: string): Promise<ExposurePublication> {
  const now = deps.clock.now();
  const [summary, pnl, realized] = await Promise.all([
    deps.broker.getAccountSummary(accountId),
    deps.broker.getPnl(accountId).catch(() => null),
    deps.risk.realizedToday(accountId, now),
  ]);
  const rate = rateToDesk(summary, deskCurrency);
  const inDesk = (v: Decimal.Value): string => (rate === null ? new Decimal(v) : new Decimal(v).times(rate)).toString();
  const limits = deps.risk.limitsFor('', accountId);
  return {
    accountId,
    brokerIdentity: deps.identityFor(accountId),
    currency: rate === null ? summary.currency : deskCurrency,
    grossExposure: inDesk(new Decimal(summary.grossPositionValue).abs()),
    maxGrossExposure: inDesk(limits.maxGrossExposure),
    dailyPnl: pnl === null ? null : inDesk((realized ?? new Decimal(pnl.realizedPnl)).plus(pnl.unrealizedPnl)),
    maxDailyLoss: inDesk(limits.maxDailyLoss),
    publishedAt: new Date(now).toISOString(),
  };
}

export function startExposurePublisher(deps: PublisherDeps): ExposurePublisher {
  const desk = deps.risk.desk;
  if (desk === null || (desk.maxGrossExposure === undefined && desk.maxDailyLoss === undefined)) return noPublisher;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const publishAll = async (): Promise<void> => {
    // System work: one publication's rows carry a correlation id of their own.
    const { correlationId } = systemContext();
    for (const accountId of deps.broker.accounts()) {
      // Relaxed: the next publication (seconds away) replaces a row a power cut would lose.
      await deps.audit.publishExposure(await exposureOf(deps, accountId, desk.currency), { durability: 'relaxed', correlationId });
    }
  };
  const publishNow = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = publishAll()
      .catch((err: unknown) => deps.logger.warn({ err }, 'could not publish exposure for the desk limits; the next publication retries (others count it as stale meanwhile)'))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void publishNow();
        }
      });
    return running;
  };

  const timer = setInterval(() => void publishNow(), desk.publishIntervalSeconds * 1000);
  // Publishing must never keep a process (a library script, a test) alive.
  timer.unref();
  const offs = [
    deps.broker.on('fill', () => void publishNow()),
    deps.broker.on('accountExecution', () => void publishNow()),
    deps.broker.on('connection', (event) => {
      if (event.state === 'connected') void publishNow();
    }),
  ];
  return {
    publishNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const off of offs) off();
      await running;
    },
  };
}
