/**
 * The package as a stranger installs it: `npm pack` gives a tarball that
 * `npm install <tarball>` puts into an empty project, where
 * `import { createClient } from 'ibkr-gateway'` works on the simulator and the
 * `ibkr-gateway` command runs. (A git URL install gets the same tarball: npm
 * runs the `prepare` script, which builds dist/, in the clone before packing.)
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = existsSync(new URL('../dist/index.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SQLITE_BUILD = join(ROOT, 'node_modules', 'better-sqlite3', 'build');

const sh = (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(file, args, { cwd, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );

const work = mkdtempSync(join(tmpdir(), 'ibkr-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!BUILT || !existsSync(SQLITE_BUILD))('npm pack, then npm install <tarball> in an empty project (needs `npm run build`)', () => {
  it('installs, imports and runs', { timeout: 180_000 }, async () => {
    // dist/ is built already; --ignore-scripts packs it as it is instead of running prepare again.
    const [packed] = JSON.parse(await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as [{ filename: string }];
    const tarball = join(work, packed?.filename ?? '');
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    // The dependencies come from the registry (or npm's cache) as for any user. Install scripts are
    // skipped so that better-sqlite3 is not compiled from source here (minutes on a busy machine):
    // its binary is the one this checkout already built for this Node.
    await sh('npm', ['install', tarball, '--ignore-scripts', '--prefer-offline', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], app);
    cpSync(SQLITE_BUILD, join(app, 'node_modules', 'better-sqlite3', 'build'), { recursive: true });

    const script = `
      import { createClient, OrderSpec, GatewayError } from 'ibkr-gateway';
      const client = await createClient({ env: { DATA_DIR: './data', SIM_SESSION: 'always-open' } });
      const quote = await client.getQuote({ symbol: 'AAPL' });
      await client.close();
      console.log(JSON.stringify({ conId: quote.conId, spec: typeof OrderSpec.parse, error: typeof GatewayError }));`;
    expect(JSON.parse(await sh(process.execPath, ['--input-type=module', '-e', script], app))).toEqual({ conId: 265598, spec: 'function', error: 'function' });

    const bin = join(app, 'node_modules', '.bin', 'ibkr-gateway');
    const env = { PATH: process.env.PATH ?? '', HOME: work, DATA_DIR: join(app, 'cli-data'), SIM_SESSION: 'always-open' };
    expect((await sh(bin, ['--version'], app, env)).trim()).toBe(VERSION);
    expect(JSON.parse(await sh(bin, ['healthcheck', '--json'], app, env))).toMatchObject({ status: 'ok', broker: { kind: 'sim' } });
  });
});
