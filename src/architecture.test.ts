/**
 * The import boundaries, as the README's architecture drawing shows them.
 * Every source file belongs to one room (its folder); a room may import only
 * the rooms its arrows point to. Tests and src/testing/ may import anything,
 * but nothing that ships may import them.
 *
 *   cli ─> gateway (the composition root) ─> api, mcp, web, brokers/*, tws-emulator
 *   api, mcp, web ─> core            brokers/sim ─> core
 *   brokers/tws, tws-emulator ─> ibkr ─> core
 *
 * So the core never sees HTTP, MCP or a broker; api, mcp and cli never reach a
 * broker except through the core's port; and two peers (the tws adapter and
 * the emulator, say) share code only through a neutral room (ibkr).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

type Room = 'core' | 'ibkr' | 'brokers/sim' | 'brokers/tws' | 'tws-emulator' | 'api' | 'mcp' | 'web' | 'web/app' | 'cli' | 'gateway' | 'index' | 'testing';

/** Which rooms each room may import (besides itself). */
const ALLOWED: Record<Exclude<Room, 'testing'>, readonly Room[]> = {
  core: [],
  ibkr: ['core'],
  'brokers/sim': ['core'],
  'brokers/tws': ['ibkr', 'core'],
  'tws-emulator': ['ibkr', 'core'],
  api: ['core'],
  mcp: ['core'],
  web: ['core'],
  'web/app': ['core'],
  cli: ['gateway', 'core'],
  gateway: ['api', 'mcp', 'web', 'brokers/sim', 'brokers/tws', 'tws-emulator', 'ibkr', 'core'],
  index: ['gateway', 'core'],
};

/** Packages that would drag an interface or a backend into a room that must not know it. */
const FORBIDDEN_PACKAGES: Partial<Record<Room, readonly RegExp[]>> = {
  core: [/^fastify/, /^@fastify\//, /^@modelcontextprotocol\//, /^@stoqey\/ib/, /^commander$/, /^vitest/],
  ibkr: [/^@stoqey\/ib/, /^better-sqlite3$/],
  api: [/^@stoqey\/ib/, /^@modelcontextprotocol\//],
  mcp: [/^@stoqey\/ib/, /^better-sqlite3$/],
};

interface Import {
  from: string;
  specifier: string;
  line: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'public' ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.d.mts') ? [path] : [];
  });
}

const isTest = (file: string): boolean => /\.test\.ts$/.test(file) || roomOf(file) === 'testing';

function roomOf(file: string): Room | null {
  const rel = relative(SRC, file).split(sep).join('/').replace(/\.js$/, '.ts');
  if (rel === 'index.ts') return 'index';
  if (rel === 'gateway.ts' || rel.startsWith('gateway/')) return 'gateway';
  if (rel.startsWith('brokers/sim/')) return 'brokers/sim';
  if (rel.startsWith('brokers/tws/')) return 'brokers/tws';
  if (rel.startsWith('web/app/')) return 'web/app';
  const top = rel.split('/')[0];
  const rooms: readonly Room[] = ['core', 'ibkr', 'tws-emulator', 'api', 'mcp', 'web', 'cli', 'testing'];
  return rooms.find((r) => r === top) ?? null;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(pattern)) {
    const specifier = m[1] ?? m[2] ?? m[3];
    if (specifier === undefined) continue;
    found.push({ from: file, specifier, line: text.slice(0, m.index).split('\n').length });
  }
  return found;
}

const where = (i: Import): string => `${relative(SRC, i.from)}:${i.line} imports ${i.specifier}`;

describe('import boundaries', () => {
  const files = sourceFiles(SRC);
  const shipped = files.filter((f) => !isTest(f));

  it('finds the rooms it guards (a renamed folder must update this test)', () => {
    const rooms = new Set(shipped.map(roomOf));
    for (const room of Object.keys(ALLOWED)) expect(rooms, `no file in ${room}`).toContain(room);
    expect(shipped.filter((f) => roomOf(f) === null).map((f) => relative(SRC, f))).toEqual([]);
  });

  it('every shipped file imports only its own room and the rooms its arrows point to', () => {
    const violations: string[] = [];
    for (const file of shipped) {
      const room = roomOf(file) as Exclude<Room, 'testing'>;
      for (const i of importsOf(file)) {
        if (!i.specifier.startsWith('.')) continue;
        const target = resolve(dirname(file), i.specifier);
        const targetRoom = roomOf(target);
        if (targetRoom === 'testing' || /\.test\.(ts|js)$/.test(target)) violations.push(`${where(i)}: shipped code may not import test support`);
        else if (targetRoom === null) violations.push(`${where(i)}: outside src/`);
        else if (targetRoom !== room && !ALLOWED[room].includes(targetRoom)) violations.push(`${where(i)}: ${room} may not import ${targetRoom}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no room loads a package that belongs to an interface or backend it must not know', () => {
    const violations: string[] = [];
    for (const file of shipped) {
      const forbidden = FORBIDDEN_PACKAGES[roomOf(file) as Room] ?? [];
      for (const i of importsOf(file)) if (forbidden.some((p) => p.test(i.specifier))) violations.push(where(i));
    }
    expect(violations).toEqual([]);
  });

  it('the composition root loads brokers and interfaces only when asked (dynamic import)', () => {
    const gatewayFiles = shipped.filter((f) => roomOf(f) === 'gateway');
    const eager: string[] = [];
    for (const file of gatewayFiles) {
      const text = readFileSync(file, 'utf8');
      for (const i of importsOf(file)) {
        const target = resolve(dirname(file), i.specifier);
        const room = roomOf(target);
        if (room === null || room === 'core' || room === 'gateway') continue;
        // Type-only imports vanish at run time; a value import must be `await import(...)`.
        const statement = text.split('\n')[i.line - 1] ?? '';
        if (!/import\(/.test(statement) && !/^\s*(import|export) type /.test(statement)) eager.push(where(i));
      }
    }
    expect(eager).toEqual([]);
  });

  it('the checker sees real violations (it is not vacuous)', () => {
    const probe = join(SRC, 'core', 'probe.ts');
    const fake: Import = { from: probe, specifier: '../brokers/sim/index.js', line: 1 };
    const target = roomOf(resolve(dirname(probe), fake.specifier));
    expect(target).toBe('brokers/sim');
    expect(ALLOWED.core).not.toContain(target);
    expect(importsOf(join(SRC, 'gateway.ts')).some((i) => i.specifier === './brokers/tws/index.js')).toBe(true);
  });
});
