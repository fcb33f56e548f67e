import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { newCorrelationId } from './correlation-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newCorrelationId', () => {
  it('is a well-formed v4 UUID, as callers and audit queries have always seen', () => {
    for (let i = 0; i < 1000; i++) expect(newCorrelationId()).toMatch(UUID_V4);
  });

  it('never repeats within a process', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(newCorrelationId());
    expect(ids.size).toBe(100_000);
  });

  it('counts in its last group under one prefix drawn per process', () => {
    const a = newCorrelationId();
    const b = newCorrelationId();
    expect(b.slice(0, 24)).toBe(a.slice(0, 24));
    expect(parseInt(b.slice(24), 16) - parseInt(a.slice(24), 16)).toBe(1);
  });

  it('differs between processes (several gateways write one audit store)', () => {
    // Two real processes, each loading the built module afresh (needs `npm run build`).
    const script = `import('${new URL('../../dist/core/correlation-id.js', import.meta.url).href}').then((m) => console.log(m.newCorrelationId()))`;
    const first = (): string => execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    const [x, y] = [first(), first()];
    expect(x).toMatch(UUID_V4);
    expect(y).toMatch(UUID_V4);
    expect(x).not.toBe(y);
  });
});
