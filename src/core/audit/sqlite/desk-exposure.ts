/**
 * desk_exposure on SQLite: one row per account, the newest publication wins
 * (see ExposurePublication in ../types.ts). The upsert keeps a row whose
 * published_at is later than the one offered, so a slow writer cannot put an
 * older picture of the book back.
 */
import type Database from 'better-sqlite3';
import { type ExposureRow, toExposureRow, fromExposureRow } from '../exposure-rows.js';
import type { ExposurePublication } from '../types.js';

export const UPSERT_EXPOSURE = `INSERT INTO desk_exposure (account_id, broker_identity, currency, gross_exposure, max_gross_exposure, daily_pnl, max_daily_loss, published_at)
  VALUES (@account_id, @broker_identity, @currency, @gross_exposure, @max_gross_exposure, @daily_pnl, @max_daily_loss, @published_at)
  ON CONFLICT (account_id) DO UPDATE SET broker_identity = excluded.broker_identity, currency = excluded.currency,
    gross_exposure = excluded.gross_exposure, max_gross_exposure = excluded.max_gross_exposure, daily_pnl = excluded.daily_pnl,
    max_daily_loss = excluded.max_daily_loss, published_at = excluded.published_at
  WHERE excluded.published_at >= desk_exposure.published_at`;

export class DeskExposureTable {
  private readonly upsert: Database.Statement<[ExposureRow]>;
  private readonly all: Database.Statement<[], ExposureRow>;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(UPSERT_EXPOSURE);
    this.all = db.prepare('SELECT * FROM desk_exposure ORDER BY account_id');
  }

  /** Call inside a write transaction. */
  publish(p: ExposurePublication): void {
    this.upsert.run(toExposureRow(p));
  }

  list(): ExposurePublication[] {
    return this.all.all().map(fromExposureRow);
  }
}
