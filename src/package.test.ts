/**
 * The package as a user installs it: `import { createClient } from
 * 'ibkr-gateway'` resolves to dist/index.js (package self-reference through
 * "exports") and gives the client, the models and the error classes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = existsSync(new URL('../dist/index.js', import.meta.url));

const script = `
import { createClient, OrderSpec, GatewayError, RiskLimitError, ERROR_CATALOGUE, ManualClock } from 'ibkr-gateway';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const client = await createClient({ env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'pkg-')), SIM_SESSION: 'always-open', LOG_LEVEL: 'silent' } });
const quote = await client.getQuote({ symbol: 'aapl' });
let code = null;
try { await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: -1, orderType: 'MKT' }); } catch (err) { code = err instanceof GatewayError ? err.code : 'not a GatewayError'; }
await client.close();
console.log(JSON.stringify({ conId: quote.conId, parsed: OrderSpec.parse({ symbol: ' msft ', action: 'SELL', quantity: 1, orderType: 'MKT' }).symbol, code, risk: new RiskLimitError('x').status, catalogue: Object.keys(ERROR_CATALOGUE).length > 20, clock: typeof ManualClock }));
`;

describe.skipIf(!BUILT)("import { createClient } from 'ibkr-gateway' (needs `npm run build`)", () => {
  it('resolves to the built package and works end to end on the simulator', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ conId: 265598, parsed: 'MSFT', code: 'VALIDATION_ERROR', risk: 422, catalogue: true, clock: 'function' });
  });
});
