import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LazyChildLogger } from './lazy-logger.js';

function collectingLogger(level = 'info'): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level, base: { service: 'test' } }, stream);
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the per-request logger', () => {
  it('makes no pino child until something is logged, then writes the line with the request\'s bindings', () => {
    const { logger, lines } = collectingLogger();
    const lazy = new LazyChildLogger(logger, { correlationId: 'req-1' }, {});
    expect(lazy.materialised).toBe(false);
    expect(lazy.level).toBe('info');
    lazy.debug('below the level');
    lazy.info({ route: '/x' }, 'answered %s', 'fine');
    lazy.error(new Error('boom'));
    expect(lazy.materialised).toBe(true);
    expect(lines()).toMatchObject([
      { level: 30, service: 'test', correlationId: 'req-1', route: '/x', msg: 'answered fine' },
      { level: 50, correlationId: 'req-1', err: { message: 'boom' } },
    ]);
  });

  it('keeps a level given for the child, and its own children carry both bindings', () => {
    const { logger, lines } = collectingLogger('info');
    const lazy = new LazyChildLogger(logger, { correlationId: 'req-2' }, { level: 'warn' });
    expect(lazy.level).toBe('warn');
    lazy.info('dropped: the child logs warn and above');
    lazy.child({ part: 'inner' }).warn('kept');
    expect(lines()).toEqual([expect.objectContaining({ correlationId: 'req-2', part: 'inner', msg: 'kept' })]);
    lazy.level = 'debug';
    lazy.debug('now kept');
    expect(lines()).toHaveLength(2);
  });
});
