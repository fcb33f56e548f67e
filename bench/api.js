/* global fetch */
// REST API benchmark: requests/s and p50/p99 latency of GET /health,
// GET /api/market/quote and POST /api/orders/place (orders enabled, simulator,
// durable audit log), each beside a bare Fastify route on the same machine in
// the same run that answers a constant JSON body the size of a quote and is
// sent the same request (path, query string and headers, the API key too). The
// ratio is the cost of auth, validation, the core and the schemas; absolute
// numbers drift on shared machines, ratios much less. The quote route is also
// set beside a bare route that sends the same headers every API answer must
// carry (security headers, correlation id), which bare Fastify pays for too.
//
// Each server runs in its own child process, so the load generator
// (autocannon, in this process) does not share an event loop with it.
//
// Needs `npm run build`. Run alone with `node bench/api.js`, or through
// bench/run.js which calls benchApi().
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LIFTED_LIMITS } from './lifted-limits.js';

const SELF = fileURLToPath(import.meta.url);
// The load generator is the parent's alone: the server children do not load it (it would count in their RSS).
const autocannon = process.argv[2] === '--serve' ? null : (await import('autocannon')).default;
// BENCH_DIST: serve another build (e.g. main's, to measure a change against it in the same run).
const DIST = process.env.BENCH_DIST ? pathToFileURL(`${process.env.BENCH_DIST.replace(/\/$/, '')}/`).href : new URL('../dist/', import.meta.url).href;
const DURATION_S = Number(process.env.BENCH_API_SECONDS ?? 5);
const CONNECTIONS = 32;
const ROUNDS = 3;
// The quote rows carry the issue's >= 0.8 target, and one slice's ratio swings by +-0.1 on this shared VM
// (0.63-0.84 in 16 slices of 1 s, 2026-12-04 18:17): more, shorter slices for them, so their median is steadier.
const QUOTE_ROUNDS = Number(process.env.BENCH_API_QUOTE_ROUNDS ?? 9);
const QUOTE_SECONDS = QUOTE_ROUNDS;
const ROW_WARM_S = Number(process.env.BENCH_API_ROW_WARM_SECONDS ?? 2);
const KEY = 'benchkey123456';
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
const SAME_HEADERS = 'GET /api/market/quote (baseline: bare + the same headers)';

/** The child side: start one server, report its URL, serve until killed. */
async function serve(kind) {
  // The parent asks for this process's CPU time and memory around each load: CPU per request is the figure
  // a neighbour's load on a shared machine disturbs least (req/s halves when another session runs).
  process.on('message', (msg) => {
    if (msg !== 'usage') return;
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const cpu = process.cpuUsage();
    process.send?.({ usage: { cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss } });
  });
  if (kind === 'baseline') {
    const { default: Fastify } = await import('fastify');
    const body = process.env.BASELINE_BODY ?? '{"hello":"world"}';
    const app = Fastify();
    // BASELINE_HEADERS: the headers a gateway answer carries besides Fastify's own (a fresh id for the
    // correlation header, as the gateway makes one per request), for the same-headers baseline.
    const headers = Object.entries(JSON.parse(process.env.BASELINE_HEADERS ?? '{}'));
    const { randomUUID } = await import('node:crypto');
    const answer = (_req, reply) => {
      for (const [name, value] of headers) reply.header(name, name === 'x-correlation-id' ? randomUUID() : value);
      return reply.type('application/json').send(body);
    };
    // The GET routes the gateway rows measure, so the baseline is sent the very request the route is (paired()).
    for (const path of ['/', '/health', '/api/market/quote']) app.get(path, answer);
    await app.listen({ host: '127.0.0.1', port: 0 });
    process.send?.({ url: `http://127.0.0.1:${app.server.address().port}` });
    return;
  }
  const { createClient } = await import(`${DIST}gateway.js`);
  const { startApiServer } = await import(`${DIST}api/index.js`);
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-api-'));
  const client = await createClient({
    env: {
      DATA_DIR: dataDir,
      SIM_SESSION: 'always-open',
      ORDERS_ENABLED: 'true',
      API_KEYS: `${KEY}:read+trade+admin`,
      LOG_LEVEL: 'silent',
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      ...LIFTED_LIMITS,
    },
  });
  if (kind === 'api-only') {
    // The core answers from memory: what is left is the API layer's own cost (auth, rate limit,
    // validation, context, metrics, response schema).
    const quote = await client.getQuote({ symbol: 'AAPL' });
    client.getQuote = async () => quote;
    // The quote route asks quoteNow() (a build without it asks getQuote()).
    client.quoteNow = () => quote;
  }
  const api = await startApiServer({ client, host: '127.0.0.1', port: 0 });
  process.send?.({ url: api.url });
  process.on('SIGTERM', () => {
    void api
      .close()
      .then(() => client.close())
      .finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
  });
}

export function startChild(kind, env = {}, execArgv = []) {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--serve', kind], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (msg) =>
      resolve({
        url: msg.url,
        pid: child.pid,
        /** { cpuMicros, rss } of the server process (after a full GC when it runs with --expose-gc). */
        usage: () => new Promise((r) => (child.once('message', (m) => r(m.usage)), child.send('usage'))),
        stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
      }),
    );
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** One load on `server`'s `url`; cpuPerRequest is the server process's CPU microseconds per answered request. */
async function load(server, url, opts = {}, seconds = DURATION_S) {
  const before = await server.usage();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, ...opts });
  const after = await server.usage();
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) process.stderr.write(`  ${opts.method ?? 'GET'} ${url}: ${bad} non-2xx/errors of ${result.requests.total}\n`);
  const cpuPerRequest = (after.cpuMicros - before.cpuMicros) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, bad, cpuPerRequest };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The route and the baseline in alternating slices, so a neighbour's load on a
 * shared machine hits both alike; each ratio is the median of per-slice ratios.
 */
async function paired(baseline, server, url, opts, rounds = ROUNDS, seconds = DURATION_S) {
  // The baseline gets the same request as the route: its path and query and its headers (the API key among
  // them, about 5 % of bare Fastify's CPU on its own, 2026-12-04), and answers every GET path here with the same
  // bytes. A POST route's baseline is still the GET (bare Fastify has no body to parse), with the same headers.
  const { pathname, search } = new URL(url);
  const basePath = (opts.method ?? 'GET') === 'GET' ? `${pathname}${search}` : '/';
  const baseOpts = opts.headers ? { headers: opts.headers } : {};
  const pairs = [];
  const slice = seconds / rounds;
  const loadBase = (s = slice) => load(baseline, `${baseline.url}${basePath}`, baseOpts, s);
  const loadRoute = (s = slice) => load(server, url, opts, s);
  // Unmeasured, right before the row: a server left idle while other rows ran comes back slower for a while (V8
  // shrinks an idle heap, and the route's code and data have left the caches); bare Fastify is loaded in every row.
  await loadRoute(ROW_WARM_S);
  await loadBase(1);
  for (let i = 0; i < rounds; i++) {
    // Every other pair runs the route first, so a machine that speeds up or slows down within a pair favours neither.
    if (i % 2 === 0) {
      const base = await loadBase();
      pairs.push({ base, route: await loadRoute() });
    } else {
      const route = await loadRoute();
      pairs.push({ base: await loadBase(), route });
    }
  }
  const pick = (side, field) => median(pairs.map((r) => r[side][field]));
  return {
    rounds,
    seconds,
    rps: pick('route', 'rps'),
    p50: pick('route', 'p50'),
    p99: pick('route', 'p99'),
    total: pairs.reduce((n, r) => n + r.route.total, 0),
    bad: pairs.reduce((n, r) => n + r.route.bad, 0),
    base: { rps: pick('base', 'rps'), p50: pick('base', 'p50'), p99: pick('base', 'p99'), cpuPerRequest: pick('base', 'cpuPerRequest') },
    rpsRatio: median(pairs.map((r) => r.route.rps / r.base.rps)),
    // The baseline's CPU per request over the route's: the share of bare Fastify's speed the route keeps when CPU is the limit.
    cpuRatio: median(pairs.map((r) => r.base.cpuPerRequest / r.route.cpuPerRequest)),
    cpuPerRequest: pick('route', 'cpuPerRequest'),
    p99Ratio: median(pairs.map((r) => r.route.p99 / Math.max(r.base.p99, 1e-3))),
  };
}

export async function benchApi() {
  const gateway = await startChild('gateway');
  const apiOnly = await startChild('api-only');
  const rows = [];
  let baseline;
  let withHeaders;
  try {
    const auth = { headers: { 'x-api-key': KEY } };
    // The baseline answers a body the size of a real quote, so both sides move the same bytes.
    const quoteAnswer = await fetch(`${gateway.url}/api/market/quote?symbol=AAPL`, auth);
    const quoteBody = await quoteAnswer.text();
    const BASELINE_BODY = JSON.stringify({ pad: 'x'.repeat(Math.max(0, quoteBody.length - 10)) });
    baseline = await startChild('baseline', { BASELINE_BODY });
    // A second bare route that also sends the headers every API answer must carry (security headers and the
    // correlation id, security.test.ts): how much of the gap is those headers, which bare Fastify pays too.
    const ownHeaders = new Set(['connection', 'content-length', 'content-type', 'date', 'keep-alive']);
    const apiHeaders = Object.fromEntries([...quoteAnswer.headers].filter(([name]) => !ownHeaders.has(name)));
    withHeaders = await startChild('baseline', { BASELINE_BODY, BASELINE_HEADERS: JSON.stringify(apiHeaders) });
    const base = `${baseline.url}/`;
    // Warm up (JIT, contract cache) before measuring, each server under the load it is measured with (32
    // connections, not 8), and each row warms its route again right before it (paired()). The stubbed server,
    // measured last, came out dearer than the real route in every run before these warm-ups (e.g. 51.4 against
    // 48.4 µs a request) while alternating the two directly, both warm, gave 42 against 45 µs (2026-12-04 20:12);
    // with them it was dearer in 2 of 3 runs, so read that row with care.
    const WARM_S = Number(process.env.BENCH_API_WARM_SECONDS ?? 3);
    await autocannon({ url: base, connections: CONNECTIONS, duration: 1 });
    await autocannon({ url: `${withHeaders.url}/`, connections: CONNECTIONS, duration: 1 });
    await autocannon({ url: `${gateway.url}/api/market/quote?symbol=AAPL`, connections: CONNECTIONS, duration: WARM_S, ...auth });
    await autocannon({ url: `${apiOnly.url}/api/market/quote?symbol=AAPL`, connections: CONNECTIONS, duration: WARM_S, ...auth });

    // BENCH_API_ORDERS=0 leaves the order row out (the request-path rows alone, for profiling runs).
    const withOrders = process.env.BENCH_API_ORDERS !== '0';
    const measured = [
      ['GET /health', await paired(baseline, gateway, `${gateway.url}/health`, {})],
      ['GET /api/market/quote', await paired(baseline, gateway, `${gateway.url}/api/market/quote?symbol=AAPL`, auth, QUOTE_ROUNDS, QUOTE_SECONDS)],
      [SAME_HEADERS, await paired(withHeaders, gateway, `${gateway.url}/api/market/quote?symbol=AAPL`, auth, QUOTE_ROUNDS, QUOTE_SECONDS)],
      ['GET /api/market/quote, core stubbed', await paired(baseline, apiOnly, `${apiOnly.url}/api/market/quote?symbol=AAPL`, auth, QUOTE_ROUNDS, QUOTE_SECONDS)],
    ];
    if (withOrders) {
      measured.push([
        'POST /api/orders/place',
        await paired(baseline, gateway, `${gateway.url}/api/orders/place`, { method: 'POST', headers: { ...auth.headers, 'content-type': 'application/json' }, body: JSON.stringify(ORDER) }),
      ]);
    }

    const note = (m) => `${m.total.toLocaleString('en-US')} requests, ${CONNECTIONS} connections, ${m.seconds}s in ${m.rounds} slices${m.bad ? `, ${m.bad} failed` : ''}`;
    // The plain baseline's figures (the same-headers one is reported in its own rows only).
    const bases = measured.filter(([name]) => name !== SAME_HEADERS).map(([, m]) => m.base);
    const baseRps = median(bases.map((b) => b.rps));
    const baseCpu = median(bases.map((b) => b.cpuPerRequest));
    rows.push({ name: 'api: bare Fastify baseline req/s', value: baseRps, unit: 'req/s', note: `constant ${quoteBody.length}-byte JSON body, alternated with each route` });
    rows.push({ name: 'api: bare Fastify baseline CPU per request', value: baseCpu, unit: 'us', note: 'server process user+system CPU / requests answered' });
    rows.push({ name: 'api: bare Fastify baseline p99', value: median(bases.map((b) => b.p99)), unit: 'ms', note: `p50 ${median(bases.map((b) => b.p50))} ms` });
    for (const [name, m] of measured) {
      // The issue's target is against bare Fastify on the same body; the same-headers row only explains the gap.
      const quote = name.startsWith('GET /api/market/quote') && name !== SAME_HEADERS;
      const baseline = { rps: `${Math.round(m.base.rps).toLocaleString('en-US')} req/s`, cpu: `${m.base.cpuPerRequest.toFixed(1)} us/req` };
      rows.push({ name: `api: ${name} req/s`, value: m.rps, unit: 'req/s', baseline: baseline.rps, note: note(m) });
      rows.push({ name: `api: ${name} req/s vs baseline`, value: m.rpsRatio, unit: 'ratio', baseline: baseline.rps, target: quote ? '>= 0.8' : '', note: 'median of per-slice ratios; swings with the machine\'s other load' });
      rows.push({ name: `api: ${name} CPU per request`, value: m.cpuPerRequest, unit: 'us', baseline: baseline.cpu, note: 'server process CPU / requests answered' });
      rows.push({ name: `api: ${name} CPU vs baseline`, value: m.cpuRatio, unit: 'ratio', baseline: baseline.cpu, target: quote ? '>= 0.8' : '', note: 'baseline CPU per request / route CPU per request: req/s ratio when CPU is the limit' });
      rows.push({ name: `api: ${name} p99`, value: m.p99, unit: 'ms', baseline: `${m.base.p99} ms`, note: `p50 ${m.p50} ms` });
      rows.push({ name: `api: ${name} p99 vs baseline`, value: m.p99Ratio, unit: 'ratio', baseline: `${m.base.p99} ms`, note: 'lower is better' });
    }
    if (withOrders) {
      const place = measured[4][1];
      rows.push({ name: 'api: durable orders/s', value: place.bad === 0 ? place.rps : NaN, unit: 'orders/s', target: '>= 5,000', note: 'on 2 cores; ORDERS_ENABLED, simulator, audit in SQLite' });
    }
  } finally {
    await gateway.stop();
    await apiOnly.stop();
    if (baseline) await baseline.stop();
    if (withHeaders) await withHeaders.stop();
  }
  return rows;
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3]);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { printRows } = await import('./table.js');
  printRows(await benchApi());
}
