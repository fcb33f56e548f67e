/**
 * The package as a user installs it: `import { createClient } from
 * 'ibkr-gateway'` resolves to dist/index.js (package self-reference through
 * "exports") and gives the client, the models and the error classes; the
 * packed tarball carries the built code and nothing of the tests; and a
 * library user on the simulator never loads the tws adapter or the servers.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = existsSync(new URL('../dist/index.js', import.meta.url));

const script = `
import { createRequire } from 'node:module';
import { createClient, OrderSpec, GatewayError, RiskLimitError, ERROR_CATALOGUE, ManualClock } from 'ibkr-gateway';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const client = await createClient({ env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'pkg-')), SIM_SESSION: 'always-open', LOG_LEVEL: 'silent' } });
const quote = await client.getQuote({ symbol: 'aapl' });
let code = null;
try { await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: -1, orderType: 'MKT' }); } catch (err) { code = err instanceof GatewayError ? err.code : 'not a GatewayError'; }
await client.close();
const loaded = Object.keys(createRequire(import.meta.url).cache);
const heavy = loaded.filter((k) => /@stoqey|fastify|@modelcontextprotocol/.test(k)).length;
console.log(JSON.stringify({ heavy, conId: quote.conId, parsed: OrderSpec.parse({ symbol: ' msft ', action: 'SELL', quantity: 1, orderType: 'MKT' }).symbol, code, risk: new RiskLimitError('x').status, catalogue: Object.keys(ERROR_CATALOGUE).length > 20, clock: typeof ManualClock }));
`;

describe.skipIf(!BUILT)("import { createClient } from 'ibkr-gateway' (needs `npm run build`)", () => {
  it('resolves to the built package and works end to end on the simulator', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    );
    // heavy: modules of @stoqey/ib, Fastify or the MCP SDK loaded by a sim client (none: the composition root loads them lazily).
    expect(JSON.parse(out)).toEqual({ heavy: 0, conId: 265598, parsed: 'MSFT', code: 'VALIDATION_ERROR', risk: 422, catalogue: true, clock: 'function' });
  });

  it('npm pack ships the built package and no test code', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    );
    const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
    const paths = pack.files.map((f) => f.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/cli/main.js');
    expect(paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p))).toEqual([]);
    expect(paths.filter((p) => /\.test\.|\/testing\/|fixtures|\.spec\.|vitest/.test(p))).toEqual([]);
  });
});
