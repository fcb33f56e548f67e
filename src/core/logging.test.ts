/**
 * Where a call's request context comes from (logging.ts): the one given
 * explicitly, else the one handed over for a synchronous call, else a library
 * user's withContext, else a fresh library context; and how a line carries it.
 */
import { describe, expect, it } from 'vitest';
import { contextOf, createLogger, handOver, loggerFor, withContext, type RequestContext } from './logging.js';

const REQUEST: RequestContext = { correlationId: 'req-1', interface: 'rest', apiKeyName: 'desk' };
const OTHER: RequestContext = { correlationId: 'req-2', interface: 'mcp', apiKeyName: 'bot' };

describe('the context of a call', () => {
  it('is the one handed over while the synchronous call runs, and no longer once it returns or after an await', async () => {
    let later: Promise<RequestContext> | null = null;
    const during = handOver(REQUEST, () => {
      later = Promise.resolve().then(() => contextOf());
      return contextOf();
    });
    expect(during).toBe(REQUEST);
    expect(contextOf()).toMatchObject({ interface: 'library', apiKeyName: null });
    expect(await (later as unknown as Promise<RequestContext>)).not.toBe(REQUEST);
  });

  it('prefers an explicit context to a handed-over one, and a handed-over one to a withContext store', () => {
    withContext(OTHER, () => {
      expect(contextOf()).toEqual(OTHER);
      expect(handOver(REQUEST, () => contextOf())).toBe(REQUEST);
      expect(handOver(REQUEST, () => contextOf(OTHER))).toBe(OTHER);
    });
  });

  it('is fresh outside any, with the interface the caller asks for, and a new id each time', () => {
    const a = contextOf(undefined, { interface: 'cli' });
    const b = contextOf(undefined, { interface: 'cli' });
    expect([a.interface, b.interface]).toEqual(['cli', 'cli']);
    expect(a.correlationId).not.toBe(b.correlationId);
    expect(contextOf(undefined, { interface: 'cli', correlationId: 'one-per-command' }).correlationId).toBe('one-per-command');
  });
});

describe('log lines', () => {
  const capture = (): { lines: () => Array<Record<string, unknown>>; raw: string[]; destination: { write: (line: string) => void } } => {
    const raw: string[] = [];
    return { raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>), destination: { write: (line: string) => void raw.push(line) } };
  };

  it("loggerFor's lines carry the request's ids once, also inside a library user's withContext", () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, format: 'json' });
    loggerFor(logger, REQUEST).info('bound');
    withContext(OTHER, () => loggerFor(logger, REQUEST).info('bound inside another context'));
    expect(out.lines().map(({ msg, correlationId, interface: via, apiKeyName }) => ({ msg, correlationId, via, apiKeyName }))).toEqual([
      { msg: 'bound', correlationId: 'req-1', via: 'rest', apiKeyName: 'desk' },
      { msg: 'bound inside another context', correlationId: 'req-1', via: 'rest', apiKeyName: 'desk' },
    ]);
    for (const line of out.raw) expect(line.match(/"correlationId"/g)).toHaveLength(1);
  });

  it("a plain logger's lines carry a withContext store's ids, and none outside one", () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, format: 'json' });
    withContext(OTHER, () => logger.info('inside'));
    logger.info('outside');
    expect(out.lines().map((l) => [l.msg, l.correlationId])).toEqual([
      ['inside', 'req-2'],
      ['outside', undefined],
    ]);
  });
});
