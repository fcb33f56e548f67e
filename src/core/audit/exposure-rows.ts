/** The desk_exposure row as both back ends store it (same columns, decimal text amounts), and its mapping to ExposurePublication. */
import type { ExposurePublication } from './types.js';

export interface ExposureRow {
  account_id: string;
  broker_identity: string;
  currency: string;
  gross_exposure: string;
  max_gross_exposure: string;
  daily_pnl: string | null;
  max_daily_loss: string;
  published_at: string;
}

export const toExposureRow = (p: ExposurePublication): ExposureRow => ({
  account_id: p.accountId,
  broker_identity: p.brokerIdentity,
  currency: p.currency,
  gross_exposure: p.grossExposure,
  max_gross_exposure: p.maxGrossExposure,
  daily_pnl: p.dailyPnl,
  max_daily_loss: p.maxDailyLoss,
  published_at: p.publishedAt,
});

export const fromExposureRow = (r: ExposureRow): ExposurePublication => ({
  accountId: r.account_id,
  brokerIdentity: r.broker_identity,
  currency: r.currency,
  grossExposure: r.gross_exposure,
  maxGrossExposure: r.max_gross_exposure,
  dailyPnl: r.daily_pnl,
  maxDailyLoss: r.max_daily_loss,
  publishedAt: r.published_at,
});
