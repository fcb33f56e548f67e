/**
 * `demo`: a guided five-minute walk through the gateway, always on the
 * simulated broker, always with orders disabled, and always in a temporary
 * DATA_DIR of its own, whatever the configuration says: it opens a fresh
 * simulated account and audit log there, so it touches nothing of yours (your
 * DATA_DIR, its account and its audit log stay as they were), and removes the
 * directory at the end unless `--keep`. `--yes` runs without pausing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadEnv, parseConfig } from '../../core/config.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { paint, printFields, printTable, processIo, sparkChart, type Io } from '../output.js';
import { reportError, withLocalClient } from '../run.js';
import { printPreview, printResult } from './orders.js';

interface DemoState {
  orderId?: string;
  /** A limit 2% under the bid: inside the default price band, and resting rather than filling. */
  limitPrice?: number;
}

interface Step {
  title: string;
  explain: string;
  run(client: GatewayClient, io: Io, state: DemoState): Promise<void>;
}

const demoOrder = (state: DemoState) => ({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: state.limitPrice ?? 1 }) as const;

const STEPS: Step[] = [
  {
    title: 'A quote',
    explain: 'getQuote resolves AAPL to its IBKR contract (conId 265598) and asks the broker for a snapshot. REST: GET /api/market/quote?symbol=AAPL',
    async run(client, io, state) {
      const q = await client.getQuote({ symbol: 'AAPL' });
      state.limitPrice = Math.round((q.bid ?? q.last ?? 100) * 0.98 * 100) / 100;
      printFields(io, [['symbol', q.symbol], ['bid', q.bid], ['ask', q.ask], ['last', q.last], ['source', q.source], ['time', q.timestamp]]);
    },
  },
  {
    title: 'History',
    explain: 'Three months of daily bars, drawn as closes. The simulated market is a seeded random walk, so history and live quotes agree and every run with one SIM_SEED is the same. REST: GET /api/market/historical?symbol=AAPL&barSize=1%20day&duration=3%20M',
    async run(client, io) {
      const bars = await client.getBars({ symbol: 'AAPL', barSize: '1 day', duration: '3 M' });
      for (const line of sparkChart(bars.map((b) => b.close))) io.stdout.write(`${line}\n`);
      io.stdout.write(`${bars.length} bars from ${bars[0]?.time ?? '-'} to ${bars.at(-1)?.time ?? '-'}\n`);
    },
  },
  {
    title: 'The account',
    explain: 'Net liquidation, cash, buying power and margin, as IBKR reports them. REST: GET /api/account/summary',
    async run(client, io) {
      const s = await client.getAccountSummary();
      printFields(io, [['account', s.accountId], ['net liquidation', s.netLiquidation], ['cash', s.totalCash], ['buying power', s.buyingPower]]);
    },
  },
  {
    title: 'Positions and P&L',
    explain: 'A fresh simulated account holds only cash. REST: GET /api/account/positions and /api/account/pnl',
    async run(client, io) {
      const positions = await client.getPositions();
      printTable(io, ['symbol', 'quantity', 'avgCost'], positions.map((p) => [p.symbol, p.quantity, p.avgCost]));
      const pnl = await client.getPnl();
      printFields(io, [['daily P&L', pnl.dailyPnl], ['unrealized', pnl.unrealizedPnl], ['realized', pnl.realizedPnl]]);
    },
  },
  {
    title: 'Preview an order',
    explain: 'A preview runs every risk check and the safety gates and asks for what-if estimates, placing nothing. Its previewId binds this exact order for a few minutes. REST: POST /api/orders/preview',
    async run(client, io, state) {
      printPreview(io, await client.previewOrder(demoOrder(state)));
    },
  },
  {
    title: 'Place it (simulated)',
    explain: 'With ORDERS_ENABLED=false (the default) the order passes validation, risk and the gates, is written to the audit log and answered SIMULATED: nothing reaches the broker. (The tour always runs this way; `npm start` honours your ORDERS_ENABLED.) REST: POST /api/orders/place',
    async run(client, io, state) {
      const spec = { ...demoOrder(state), clientOrderId: `demo-${Date.now()}` };
      const { previewId } = await client.previewOrder(spec);
      const result = await client.placeOrder({ ...spec, previewId });
      state.orderId = result.orderId;
      printResult(io, result);
    },
  },
  {
    title: 'The audit trail',
    explain: 'Every order action is an append-only, hash-chained row with the correlation id, the caller and the configuration it was decided under. `ibkr-gateway audit verify` checks the chain.',
    async run(client, io, state) {
      const page = await client.queryAudit({ orderId: state.orderId, limit: 20 });
      printTable(io, ['id', 'time', 'event', 'order', 'by'], page.entries.map((e) => [e.id, e.timestamp, e.eventType, e.orderId, e.userContext.interface]));
      const v = await client.verifyAudit();
      io.stdout.write(`chain: ${v.ok ? paint(io, 'green', 'intact') : paint(io, 'red', 'BROKEN')} (${v.checkedRows} rows)\n`);
    },
  },
];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('A guided five-minute tour on the simulated broker, in a temporary DATA_DIR of its own (orders disabled: nothing is sent anywhere, nothing of yours is touched)')
    .option('-y, --yes', 'run every step without pausing (CI)')
    .option('--keep', 'keep the temporary DATA_DIR (its account and audit log) and print where it is')
    .action(async (o: { yes?: boolean; keep?: boolean }) => {
      let config;
      const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-gateway-demo-'));
      try {
        try {
          config = parseConfig({ ...loadEnv(), BROKER: 'sim', SIM_SESSION: 'always-open', ORDERS_ENABLED: 'false', TRADING_MODE: 'paper', DATA_DIR: dataDir });
        } catch (err) {
          reportError(processIo(), err, false);
          return;
        }
        await withLocalClient(
          async (client, io) => {
            io.stdout.write(`${paint(io, 'dim', `A fresh simulated account and audit log in ${dataDir} (${o.keep ? 'kept afterwards' : 'removed afterwards; --keep keeps it'}); your DATA_DIR is not touched.`)}\n`);
            const state: DemoState = {};
            const pause = !o.yes && io.isTTY && process.stdin.isTTY;
            const rl = pause ? createInterface({ input: process.stdin, output: process.stderr }) : null;
            try {
              for (const [i, step] of STEPS.entries()) {
                io.stdout.write(`\n${paint(io, 'bold', `${i + 1}/${STEPS.length}  ${step.title}`)}\n${paint(io, 'dim', step.explain)}\n\n`);
                await step.run(client, io, state);
                if (rl && i < STEPS.length - 1) await rl.question(paint(io, 'dim', '\n[Enter] next step '));
              }
            } finally {
              rl?.close();
            }
            if (o.keep) io.stdout.write(`\nThe tour's account and audit log are kept in ${dataDir}: DATA_DIR=${dataDir} ibkr-gateway audit query\n`);
            io.stdout.write(`\nThat is the tour. Next: \`PUBLIC_DOCS=true npm start\` and open http://127.0.0.1:8000/docs, or see README.md for the MCP server.\n`);
          },
          { config },
        );
      } finally {
        if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
      }
    });
}
