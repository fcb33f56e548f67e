#!/usr/bin/env node
// `npm start`: check the configuration, build only if the sources changed, then
// run `ibkr-gateway start` in this process (so Ctrl-C and SIGTERM reach it).
// A configuration error is reported at once with exit 2 when a built dist/ can
// check it, instead of after a build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, upToDate } from './build.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const CONFIG = join(ROOT, 'dist', 'core', 'config.js');
const args = process.argv.slice(2);

// The configuration as `start` will read it (its --port / --host override API_PORT / API_HOST),
// checked in a child so that a rebuild below never mixes old and new modules in this process.
if (existsSync(CONFIG)) {
  const flag = (name) => {
    const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    return args[i].includes('=') ? args[i].slice(name.length + 1) : args[i + 1];
  };
  const overrides = { ...(flag('--port') ? { API_PORT: flag('--port') } : {}), ...(flag('--host') ? { API_HOST: flag('--host') } : {}) };
  const check = `
    const { loadEnv, parseConfig } = await import(${JSON.stringify(pathToFileURL(CONFIG).href)});
    try { parseConfig({ ...loadEnv(), ...${JSON.stringify(overrides)} }); }
    catch (err) { if (err && err.code === 'CONFIG_INVALID') { process.stderr.write(err.message + '\\n'); process.exit(2); } }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', check], { stdio: 'inherit' });
  if (r.status === 2) process.exit(2);
}

if (!upToDate()) {
  process.stderr.write('building dist/ (the sources changed since the last build)...\n');
  const status = build();
  if (status !== 0) process.exit(status);
}

process.argv = [process.argv[0], MAIN, 'start', ...args];
await import(pathToFileURL(MAIN).href);
