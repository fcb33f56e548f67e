/**
 * Option margin by IBKR's Reg T rules (option-margin.ts): a short call
 * covered by 100 shares a contract needs only its in-the-money amount on top
 * of the stock's own margin; a naked one needs its value plus the greater of
 * 20% of the underlying less the out-of-the-money amount and 10%; a short put
 * with only cash behind it is naked in a margin account, its OTM credit
 * applied; a short put covered by short stock needs its ITM amount. Worked
 * with AAPL at 230.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import type { LedgerPosition, Mark } from './ledger.js';
import { optionMargin, shareCover } from './option-margin.js';

const SPOT = 230;
const mark = (price: number): Mark => ({ price, fx: 1, margin: {}, underlyingPrice: SPOT });
const contract = (securityType: 'STK' | 'OPT', extra: Partial<Contract> = {}): Contract => ({ conId: 1, symbol: 'AAPL', securityType, exchange: 'SMART', currency: 'USD', multiplier: securityType === 'OPT' ? 100 : 1, minTick: 0.01, ...extra });
const position = (c: Contract, quantity: number): LedgerPosition => ({
  conId: c.conId,
  contract: c,
  cls: c.securityType === 'OPT' ? 'option' : 'equity',
  quantity: new Decimal(quantity),
  grossCost: new Decimal(0),
  commissionCost: new Decimal(0),
  realized: new Decimal(0),
  openedAt: '2026-01-05T15:00:00.000Z',
});
const shortOption = (right: 'C' | 'P', strike: number, contracts: number): LedgerPosition => position(contract('OPT', { conId: 2, right, strike, expiry: '2026-01-16' }), -contracts);
const req = (p: LedgerPosition, premium: number, stock: LedgerPosition[] = []): number => {
  const mv = p.quantity.times(premium).times(100);
  return optionMargin(p, mv, mark(premium), shareCover(stock)).maintenance.toNumber();
};

describe('option margin (IBKR Reg T)', () => {
  it('a long option: its premium, no loan value', () => {
    const long = position(contract('OPT', { right: 'C', strike: 240 }), 2);
    expect(optionMargin(long, new Decimal(2 * 3.5 * 100), mark(3.5), new Map()).initial.toNumber()).toBe(700);
  });

  it('a covered call: nothing when out of the money, the ITM amount when in it', () => {
    const stock = [position(contract('STK'), 100)];
    expect(req(shortOption('C', 250, 1), 1.2, stock)).toBe(0);
    expect(req(shortOption('C', 220, 1), 12, stock)).toBe(1000); // (230 - 220) x 100
  });

  it('a naked call: value + max(20% x 23,000 - OTM 2,000, 10% x 23,000) = 120 + 2,600', () => {
    expect(req(shortOption('C', 250, 1), 1.2)).toBe(120 + 2600);
  });

  it('a partly covered call: 100 shares cover one of two contracts, the other is naked', () => {
    const stock = [position(contract('STK'), 150)];
    expect(req(shortOption('C', 250, 2), 1.2, stock)).toBe(120 + 2600);
  });

  it('a short put backed by cash is naked in a margin account: value + max(20% x 23,000 - OTM 3,000, 10% x strike 20,000)', () => {
    expect(req(shortOption('P', 200, 1), 0.8)).toBe(80 + 2000);
    // In the money there is no OTM credit: 20% of the underlying.
    expect(req(shortOption('P', 240, 1), 11)).toBe(1100 + 4600);
  });

  it('a short put covered by short stock: its ITM amount; long stock does not cover a put', () => {
    expect(req(shortOption('P', 240, 1), 11, [position(contract('STK'), -100)])).toBe(1000);
    expect(req(shortOption('P', 240, 1), 11, [position(contract('STK'), 100)])).toBe(1100 + 4600);
  });
});
