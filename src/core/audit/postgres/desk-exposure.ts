/**
 * desk_exposure on PostgreSQL: the same upsert as SQLite's (../sqlite/desk-exposure.ts),
 * the newest publication of an account wins, in one atomic statement, so two
 * gateways publishing one account at once never interleave their columns.
 */
import { type ExposureRow, fromExposureRow, toExposureRow } from '../exposure-rows.js';
import type { ExposurePublication } from '../types.js';
import type { Queryable } from './connection.js';

export async function publishExposure(db: Queryable, p: ExposurePublication): Promise<void> {
  const r = toExposureRow(p);
  await db.query(
    `INSERT INTO desk_exposure (account_id, broker_identity, currency, gross_exposure, max_gross_exposure, daily_pnl, max_daily_loss, published_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (account_id) DO UPDATE SET broker_identity = EXCLUDED.broker_identity, currency = EXCLUDED.currency,
       gross_exposure = EXCLUDED.gross_exposure, max_gross_exposure = EXCLUDED.max_gross_exposure, daily_pnl = EXCLUDED.daily_pnl,
       max_daily_loss = EXCLUDED.max_daily_loss, published_at = EXCLUDED.published_at
     WHERE EXCLUDED.published_at >= desk_exposure.published_at`,
    [r.account_id, r.broker_identity, r.currency, r.gross_exposure, r.max_gross_exposure, r.daily_pnl, r.max_daily_loss, r.published_at],
  );
}

export async function listExposures(db: Queryable): Promise<ExposurePublication[]> {
  return (await db.query<ExposureRow>('SELECT * FROM desk_exposure ORDER BY account_id')).rows.map(fromExposureRow);
}
