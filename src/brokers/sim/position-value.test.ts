/**
 * A valuation values again only the positions whose object or mark changed
 * (position-value.ts). What must hold: at every step the account's figures are
 * exactly, to the last digit, those of the same books loaded afresh (nothing
 * kept), through fills that open, add to, reduce and reverse positions, marks
 * that move for some instruments and not others, futures settlements, and short
 * options whose margin depends on the shares that cover them.
 */
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../core/models.js';
import type { InstrumentClass, MarginRule } from './catalogue.js';
import { Ledger, type LedgerPosition, type Mark } from './ledger.js';
import { seeded } from '../../testing/seeded.js';

interface Held {
  contract: Contract;
  cls: InstrumentClass;
  margin: MarginRule;
  price: number;
}

const stock = (conId: number, symbol: string, price: number): Held => ({ contract: { conId, symbol, securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 }, cls: 'equity', margin: { initialRate: 0.5, maintenanceRate: 0.25 }, price });
const BOOK: Held[] = [
  stock(1, 'AAPL', 230),
  stock(2, 'MSFT', 420),
  { contract: { conId: 3, symbol: 'ES', securityType: 'FUT', exchange: 'CME', currency: 'USD', multiplier: 50, minTick: 0.25, expiry: '2026-03-20' }, cls: 'future', margin: { initialPerContract: 22_000, maintenancePerContract: 20_000 }, price: 5950 },
  { contract: { conId: 4, symbol: 'EUR.USD', securityType: 'CASH', exchange: 'IDEALPRO', currency: 'USD', multiplier: 1, minTick: 0.00005 }, cls: 'fx', margin: { initialRate: 0.03, maintenanceRate: 0.025 }, price: 1.08 },
  { contract: { conId: 5, symbol: 'AAPL', securityType: 'OPT', exchange: 'SMART', currency: 'USD', multiplier: 100, minTick: 0.01, right: 'C', strike: 240, expiry: '2026-01-16' }, cls: 'option', margin: {}, price: 3.5 },
  stock(6, 'SAP', 180),
];
// SAP trades in euros: its marks carry the EUR rate, and cash in euros is valued at it.
const sap = BOOK[5] as Held;
sap.contract = { ...sap.contract, currency: 'EUR' };

describe('the account valued with each unchanged position kept', () => {
  it('is at every step exactly the valuation of the same books loaded afresh', () => {
    const random = seeded(7);
    const ledger = Ledger.fresh(2_000_000);
    const prices = new Map(BOOK.map((h) => [h.contract.conId, h.price]));
    let eur = 1.08;
    const markOf = (p: LedgerPosition): Mark | null => {
      const held = BOOK.find((h) => h.contract.conId === p.conId);
      if (!held) return null;
      return { price: prices.get(p.conId) ?? held.price, fx: held.contract.currency === 'EUR' ? eur : 1, margin: held.margin, ...(held.cls === 'option' ? { underlyingPrice: prices.get(1) ?? 230 } : {}) };
    };
    const rateOf = (currency: string): number => (currency === 'EUR' ? eur : 1);
    let kept = 0;
    let previous = ledger.valuation(markOf, rateOf);
    for (let step = 0; step < 400; step++) {
      const r = random();
      const held = BOOK[Math.floor(random() * BOOK.length)] as Held;
      if (r < 0.4) {
        const quantity = held.cls === 'fx' ? 10_000 : held.cls === 'option' || held.cls === 'future' ? 1 + Math.floor(random() * 3) : 10 * (1 + Math.floor(random() * 30));
        const price = prices.get(held.contract.conId) ?? held.price;
        ledger.applyFill({ contract: held.contract, cls: held.cls, side: random() < 0.5 ? 'BUY' : 'SELL', quantity: new Decimal(quantity), price: new Decimal(price), fxRate: new Decimal(rateOf(held.contract.currency)), commission: new Decimal(1.25), time: `2026-01-05T15:00:${String(step % 60).padStart(2, '0')}.000Z` });
      } else if (r < 0.8) {
        // One instrument's price moves; the others stand still.
        const now = prices.get(held.contract.conId) ?? held.price;
        prices.set(held.contract.conId, Number((now * (1 + (random() - 0.5) / 50)).toFixed(held.cls === 'fx' ? 5 : 2)));
      } else if (r < 0.9) {
        eur = Number((eur * (1 + (random() - 0.5) / 100)).toFixed(5));
      } else {
        ledger.settleVariation(3, new Decimal(prices.get(3) ?? 5950), `2026-01-05T21:${String(step % 60).padStart(2, '0')}:00.000Z`);
      }
      const valued = ledger.valuation(markOf, rateOf);
      const afresh = new Ledger(ledger.totals, ledger.allPositions()).valuation(markOf, rateOf);
      expect(JSON.stringify(valued), `step ${step}`).toBe(JSON.stringify(afresh));
      for (const pv of valued.positions) if (previous.positions.includes(pv)) kept += 1;
      previous = valued;
    }
    // Most positions' figures are kept from one step to the next (one position or mark changes per step).
    expect(kept).toBeGreaterThan(400);
  });

  it("values a short call again when the shares covering it change, though its own position and mark did not", () => {
    const [aapl, , , , call] = BOOK as [Held, Held, Held, Held, Held];
    const ledger = Ledger.fresh(1_000_000);
    const markOf = (p: LedgerPosition): Mark => (p.conId === call.contract.conId ? { price: 3.5, fx: 1, margin: call.margin, underlyingPrice: 230 } : { price: 230, fx: 1, margin: aapl.margin });
    const fill = (held: Held, side: 'BUY' | 'SELL', quantity: number, price: number) => ledger.applyFill({ contract: held.contract, cls: held.cls, side, quantity: new Decimal(quantity), price: new Decimal(price), fxRate: new Decimal(1), commission: new Decimal(1), time: '2026-01-05T15:00:00.000Z' });
    fill(call, 'SELL', 2, 3.5);
    const naked = ledger.valuation(markOf);
    fill(aapl, 'BUY', 200, 230);
    const covered = ledger.valuation(markOf);
    const optionMarginOf = (v: typeof naked) => v.positions.find((p) => p.position.conId === call.contract.conId)?.initMargin.toString();
    expect(optionMarginOf(covered)).not.toBe(optionMarginOf(naked));
    expect(JSON.stringify(covered)).toBe(JSON.stringify(new Ledger(ledger.totals, ledger.allPositions()).valuation(markOf)));
  });
});
