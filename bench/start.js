// Cold start: from spawning `ibkr-gateway start` (simulator, fresh DATA_DIR)
// to the first 200 from GET /health, beside a bare Fastify process that
// answers /health, spawned the same way in the same run. Runs alternate
// between the two so a neighbour's load hits both; each figure is a median.
// CPU time (user + system, from /proc at the moment /health answered) is
// reported too: on a shared machine it drifts much less than wall time.
//
// Needs `npm run build`. Alone: `node bench/start.js`.
/* global fetch */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 5);
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const BARE = `
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** user + system CPU milliseconds of a live process (Linux /proc; NaN elsewhere). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

async function timeToHealth(args, env) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args(port), { env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${args(port).join(' ')} exited before /health answered`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
    return { wall: performance.now() - started, cpu: cpuMs(child.pid) };
  } finally {
    child.kill('SIGTERM');
    if (!exited) await new Promise((r) => child.once('exit', r));
  }
}

export async function benchColdStart() {
  const gateway = [];
  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-start-'));
    try {
      bare.push(await timeToHealth(() => ['--input-type=module', '-e', BARE], {}));
      gateway.push(await timeToHealth((port) => [MAIN, 'start', '--port', String(port), '--host', '127.0.0.1'], { DATA_DIR: dataDir, LOG_LEVEL: 'warn', BROKER: 'sim' }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const wall = median(gateway.map((r) => r.wall));
  const bareWall = median(bare.map((r) => r.wall));
  const cpu = median(gateway.map((r) => r.cpu));
  const bareCpu = median(bare.map((r) => r.cpu));
  return [
    { name: 'start: cold start to ready /health', value: wall, unit: 'ms', baseline: `bare Fastify ${Math.round(bareWall)} ms`, note: `median of ${RUNS}; simulator, fresh DATA_DIR; ${(wall / bareWall).toFixed(2)}x bare Fastify` },
    { name: 'start: CPU time to ready /health', value: cpu, unit: 'ms', baseline: `bare Fastify ${Math.round(bareCpu)} ms`, note: `user + system at the first 200; ${(cpu / bareCpu).toFixed(2)}x bare Fastify` },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { printRows } = await import('./table.js');
  printRows(await benchColdStart());
}
