import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../testing/client-harness.js';
import { ContractResolver } from './contracts.js';
import { createMetrics } from './metrics.js';

let gw: TestGateway;
beforeEach(async () => {
  gw = await startTestGateway();
});
afterEach(async () => {
  await gw.cleanup();
});

const lookups = async (metrics: ReturnType<typeof createMetrics>): Promise<number> => {
  const text = await metrics.registry.metrics();
  return [...text.matchAll(/ibkr_gateway_broker_calls_total\{method="resolveContracts"[^}]*\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
};

describe('contract resolution', () => {
  it('answers a spec resolved before at once, with the contract the first lookup found', async () => {
    const metrics = createMetrics();
    const resolver = new ContractResolver(gw.client.broker, metrics);
    const first = resolver.resolveNow({ symbol: 'AAPL' });
    expect(first).toBeInstanceOf(Promise);
    const contract = await first;
    expect(resolver.resolveNow({ symbol: 'AAPL' })).toBe(contract);
    expect(resolver.resolveNow({ symbol: 'AAPL', securityType: 'STK' })).toBe(contract);
    expect(await resolver.resolve({ symbol: 'AAPL' })).toBe(contract);
    expect(await lookups(metrics)).toBe(1);
  });

  it('asks the broker again after a failure, and refuses a malformed spec each time', async () => {
    const metrics = createMetrics();
    const resolver = new ContractResolver(gw.client.broker, metrics);
    for (let i = 0; i < 2; i++) await expect(resolver.resolveNow({ symbol: 'NOSUCHSYM' })).rejects.toMatchObject({ code: 'CONTRACT_NOT_FOUND' });
    expect(await lookups(metrics)).toBe(2);
    const frozen = Object.freeze({ symbol: '' });
    for (let i = 0; i < 2; i++) expect(() => resolver.resolve(frozen)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }) as Error);
  });

  it('reuses the parse of a frozen spec, never of one that can still change', async () => {
    const resolver = new ContractResolver(gw.client.broker, createMetrics());
    const frozen = Object.freeze({ symbol: 'MSFT' });
    expect((await resolver.resolve(frozen)).symbol).toBe('MSFT');
    expect((await resolver.resolve(frozen)).symbol).toBe('MSFT');
    const mutable: { symbol: string } = { symbol: 'MSFT' };
    expect((await resolver.resolve(mutable)).symbol).toBe('MSFT');
    mutable.symbol = 'AAPL';
    expect((await resolver.resolve(mutable)).symbol).toBe('AAPL');
  });
});

describe('GatewayClient.getQuote', () => {
  it('rejects (never throws) and counts each error by code, on the first lookup and on later ones', async () => {
    const { client } = gw;
    const quote = await client.getQuote({ symbol: 'AAPL' });
    expect(quote).toMatchObject({ symbol: 'AAPL', source: 'SIMULATED' });
    expect((await client.getQuote({ symbol: 'AAPL' })).symbol).toBe('AAPL');
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = client.getQuote({ symbol: '' }))).not.toThrow();
    await expect(pending).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(client.getQuote({ symbol: 'NOSUCHSYM' })).rejects.toMatchObject({ code: 'CONTRACT_NOT_FOUND' });
    const text = await client.metrics.registry.metrics();
    expect(text).toMatch(/ibkr_gateway_errors_total\{code="VALIDATION_ERROR"\} 1/);
    expect(text).toMatch(/ibkr_gateway_errors_total\{code="CONTRACT_NOT_FOUND"\} 1/);
  });

  it("counts a broker failure on the hot path (contract known) once by code and once as the broker call's error", async () => {
    const { client } = gw;
    expect((await client.getQuote({ symbol: 'AAPL' })).symbol).toBe('AAPL');
    await client.broker.close();
    const failed = await client.getQuote({ symbol: 'AAPL' }).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: expect.any(String) });
    const { code } = failed as { code: string };
    const text = await client.metrics.registry.metrics();
    expect(text).toContain(`ibkr_gateway_errors_total{code="${code}"} 1\n`);
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="error"} 1\n');
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="ok"} 1\n');
  });

  it('quoteNow answers at once once the contract is known (the simulator has the quote at hand), else with getQuote()\'s promise', async () => {
    const { client } = gw;
    const first = client.quoteNow({ symbol: 'MSFT' });
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ symbol: 'MSFT', source: 'SIMULATED' });
    const now = client.quoteNow({ symbol: 'MSFT' });
    expect(now).not.toBeInstanceOf(Promise);
    // The same quote getQuote() gives for the same instant: the simulator's quote is pure in (instrument, time).
    const later = await client.getQuote({ symbol: 'MSFT' });
    expect(Object.keys(now)).toEqual(Object.keys(later));
    expect(now).toMatchObject({ symbol: 'MSFT', conId: later.conId, close: later.close, source: 'SIMULATED' });
    await expect(client.quoteNow({ symbol: 'NOSUCHSYM' })).rejects.toMatchObject({ code: 'CONTRACT_NOT_FOUND' });

    await client.broker.close();
    let thrown: unknown;
    try {
      client.quoteNow({ symbol: 'MSFT' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: expect.any(String) });
    const text = await client.metrics.registry.metrics();
    expect(text).toContain(`ibkr_gateway_errors_total{code="${(thrown as { code: string }).code}"} 1\n`);
    expect(text).toContain('ibkr_gateway_errors_total{code="CONTRACT_NOT_FOUND"} 1\n');
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="ok"} 3\n');
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="error"} 1\n');
  });
});
