#!/usr/bin/env node
// `npm run build`: compile the server and the dashboard into dist/ and stamp it.
// `--if-changed` (npm start, prepare, npm test) skips the build when nothing it
// reads changed since the stamp: a second `npm start` starts at once instead of
// spending half a minute recompiling the same sources.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP = join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];

/** The newest modification time among the build's inputs: src/ (without tests and test support) and the files above. Directories count, so a deleted file counts too. */
function newestInput() {
  let newest = 0;
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (path !== join(ROOT, 'src', 'testing')) walk(path);
      } else if (!e.name.endsWith('.test.ts')) {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  walk(join(ROOT, 'src'));
  for (const f of INPUTS) if (existsSync(join(ROOT, f))) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

/** True when dist/ was built from the sources as they are now. */
export function upToDate() {
  if (!existsSync(STAMP) || !existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return false;
  return newestInput() <= statSync(STAMP).mtimeMs;
}

/** Builds; the stamp gets the time the build started, so an edit made during the build is seen next time. */
export function build() {
  const started = new Date();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const steps = [
    [tsc, '-p', 'tsconfig.build.json'],
    [tsc, '-p', 'src/web/tsconfig.json'],
    ['src/web/copy-public.mjs'],
  ];
  for (const args of steps) {
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) return r.status ?? 1;
  }
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, `built from the sources as of ${started.toISOString()}\n`);
  utimesSync(STAMP, started, started);
  return 0;
}

/** True when the compiler (a dev dependency) is installed beside the sources. */
function hasCompiler() {
  try {
    createRequire(import.meta.url).resolve('typescript/bin/tsc');
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm install <folder>` (a clone) runs this package's `prepare` in the folder
 * without installing the folder's dev dependencies - unlike a git URL, for
 * which npm installs them in its clone first - so there is no compiler and
 * dist/ cannot be built. Do what npm does for a git dependency: install the
 * folder's dependencies, dev ones included (that install runs `prepare`
 * itself, now with a compiler). The outer npm's own `npm_*` variables are not
 * passed on: they describe the project installing this one, not this folder.
 */
function installOwnDependencies() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  env.IBKR_GATEWAY_PREPARE_INSTALL = '1';
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
  console.error('ibkr-gateway: installing the dependencies needed to build dist/ in this folder (npm does not for a folder install)');
  const r = spawnSync(command, [...args, 'install', '--include=dev', '--no-audit', '--no-fund'], { cwd: ROOT, env, stdio: 'inherit' });
  return r.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-changed') && upToDate()) process.exit(0);
  const npmPrepare = process.env.npm_lifecycle_event === 'prepare';
  if (!hasCompiler() && npmPrepare && process.env.IBKR_GATEWAY_PREPARE_INSTALL !== '1') {
    const status = installOwnDependencies();
    if (status !== 0) process.exit(status);
    if (upToDate()) process.exit(0);
  }
  if (!hasCompiler()) {
    console.error(`ibkr-gateway: building dist/ needs the dev dependencies (TypeScript): run \`npm install\` in ${ROOT} first`);
    process.exit(1);
  }
  process.exitCode = build();
}
