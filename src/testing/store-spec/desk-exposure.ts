/**
 * The contract for published exposure (desk-wide risk limits): one row per
 * account, the newest publication wins whichever arrives last, every handle
 * (another gateway) reads them, and amounts come back as the exact decimal
 * text written.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore, ExposurePublication } from '../../core/audit/types.js';

const publication = (over: Partial<ExposurePublication> = {}): ExposurePublication => ({
  accountId: 'DU111',
  brokerIdentity: 'sim:DU111',
  currency: 'USD',
  grossExposure: '150000.10',
  maxGrossExposure: '2000000',
  dailyPnl: '-1234.56',
  maxDailyLoss: '50000',
  publishedAt: '2026-01-05T15:00:00.000Z',
  ...over,
});

export function describeDeskExposure(current: () => AuditStore, reopen: () => Promise<AuditStore>): void {
  describe('published exposure', () => {
    it('keeps one row per account, read back exactly by another handle', async () => {
      const store = current();
      expect(await store.exposures()).toEqual([]);
      await store.publishExposure(publication());
      await store.publishExposure(publication({ accountId: 'DU222', brokerIdentity: 'sim:DU222', dailyPnl: null, grossExposure: '0.1' }));
      const other = await reopen();
      try {
        expect(await other.exposures()).toEqual([publication(), publication({ accountId: 'DU222', brokerIdentity: 'sim:DU222', dailyPnl: null, grossExposure: '0.1' })]);
      } finally {
        await other.close();
      }
    });

    it('a newer publication replaces the account\'s row; an older one arriving late changes nothing', async () => {
      const store = current();
      await store.publishExposure(publication({ publishedAt: '2026-01-05T15:00:05.000Z', grossExposure: '2' }));
      await store.publishExposure(publication({ publishedAt: '2026-01-05T15:00:01.000Z', grossExposure: '1' }));
      expect(await store.exposures()).toEqual([publication({ publishedAt: '2026-01-05T15:00:05.000Z', grossExposure: '2' })]);
      await store.publishExposure(publication({ publishedAt: '2026-01-05T15:00:09.000Z', grossExposure: '3', brokerIdentity: 'tws:127.0.0.1:4002:DU111:7' }));
      expect(await store.exposures()).toEqual([publication({ publishedAt: '2026-01-05T15:00:09.000Z', grossExposure: '3', brokerIdentity: 'tws:127.0.0.1:4002:DU111:7' })]);
      expect((await store.verify()).ok).toBe(true);
    });
  });
}
