/** `kill-switch on|off|status` and `sim reset`. */
import type { Command } from 'commander';
import { resetSimAccount } from '../../gateway.js';
import { openConfiguredStore } from '../../core/audit/open-store.js';
import { systemClock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import { GatewayError } from '../../core/errors.js';
import { KillSwitch } from '../../core/kill-switch.js';
import type { RequestContext } from '../../core/logging.js';
import type { KillSwitchChange, KillSwitchState, KillSwitchStatus } from '../../core/models.js';
import { printFields, printJson, processIo, type Io } from '../output.js';
import { remoteGateway } from '../remote.js';
import { cliContext, EXIT, findGateway, loadConfig, openLocal, reportError } from '../run.js';

type SwitchCommand = 'on' | 'off' | 'status';

/** Failures that mean "no gateway answered", after which the store is written directly. */
const UNREACHABLE = new Set(['API_UNREACHABLE', 'API_TIMEOUT', 'API_BAD_RESPONSE']);

/** The switch in the store itself, without a broker: what every process reads before its next order. */
async function inStore(config: Config, engaged: boolean | null, reason: string | null, change: { account: string | null; cancelWorking: boolean; request: RequestContext }): Promise<KillSwitchState> {
  const store = await openConfiguredStore(config);
  try {
    const ks = new KillSwitch(store, systemClock);
    return await (engaged === null ? ks.read(change.account) : ks.set(engaged, reason, null, change));
  } finally {
    await store.close();
  }
}

/**
 * Works in every state. A running gateway is asked over REST (it engages,
 * cancels its working orders and reports them). With no gateway, or one that
 * does not answer, the switch is written to the store directly (so every
 * process refuses its next order), and then, with no gateway running, the
 * broker is opened to cancel the working orders; if it cannot be opened the
 * switch stays engaged and the answer says why nothing was cancelled.
 */
async function killSwitch(io: Io, command: SwitchCommand, reason: string, cancelWorking: boolean, account: string | null): Promise<KillSwitchChange | KillSwitchState | KillSwitchStatus> {
  const config = loadConfig();
  const target = findGateway(config);
  let unanswered: string | null = null;
  const which = account === null ? {} : { account };
  // One correlation id for everything this command writes, through the store and through the broker.
  const request = cliContext();
  if (target) {
    const remote = remoteGateway(target.url, target.apiKey, 15_000);
    try {
      if (command === 'status') return await remote.killSwitch(which);
      return await remote.setKillSwitch(command === 'on', reason, { cancelWorking, ...which });
    } catch (err) {
      const unreachable = err instanceof GatewayError && UNREACHABLE.has(err.code);
      // Engaging must not depend on the gateway: any failure falls through to the store.
      if (!unreachable && command !== 'on') throw err;
      unanswered = err instanceof Error ? err.message : String(err);
      io.stderr.write(`kill-switch: ${unanswered}; writing the switch to ${config.dataDir}/audit.db directly\n`);
    }
  }
  if (command === 'status') return inStore(config, null, null, { account, cancelWorking, request });
  const state = await inStore(config, command === 'on', reason, { account, cancelWorking, request });
  const none = (why: string): KillSwitchChange => ({ ...state, cancelled: [], cancelFailed: [], cancelSkipped: why });
  if (command === 'off') return none('released: nothing to cancel');
  if (!cancelWorking) return none('cancelWorking: false');
  if (unanswered !== null) {
    return none(`the gateway did not answer (${unanswered}); it refuses new orders from its next one, and cancels its working orders as soon as it reads the switch again`);
  }
  let client;
  try {
    client = await openLocal(io, config, request);
  } catch (err) {
    return none(`could not open the ${config.broker} broker to cancel working orders: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return await client.setKillSwitch(true, reason, { cancelWorking: true, ...which });
  } finally {
    await client.close();
  }
}

export function registerAdminCommands(program: Command): void {
  program
    .command('kill-switch')
    .description(
      'Engage (on) or release (off) the kill switch, or show it. Engaging stops new orders in every gateway on the store and cancels their working orders (--keep-orders: only block new ones); --account stops one account only. Works with or without a running gateway.',
    )
    .argument('<state>', 'on | off | status')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--keep-orders', 'engage without cancelling working orders')
    .option('--account <id>', "one account's switch instead of the desk-wide one")
    .option('--json', 'print JSON')
    .action(async (state: string, o: { reason?: string; keepOrders?: boolean; account?: string; json?: boolean }) => {
      const io = processIo();
      if (!['on', 'off', 'status'].includes(state)) {
        io.stderr.write(`kill-switch: expected on, off or status, not "${state}"\n`);
        process.exitCode = EXIT.CONFIG;
        return;
      }
      try {
        const account = o.account?.trim() || null;
        const ks = await killSwitch(io, state as SwitchCommand, o.reason ?? `kill-switch ${state} from the CLI`, !o.keepOrders, account);
        if (o.json) return printJson(io, ks);
        const change = 'cancelled' in ks ? ks : null;
        const accounts = 'accounts' in ks ? ks.accounts : [];
        printFields(io, [
          [account === null ? 'kill switch' : `kill switch (${account})`, ks.engaged ? 'ENGAGED' : 'released'],
          ['reason', ks.reason],
          ['since', ks.since],
          ['by', ks.by],
          ...accounts.map((a): [string, string] => [`account ${a.account ?? '?'}`, `ENGAGED since ${a.since ?? '?'} by ${a.by ?? '?'}: ${a.reason ?? ''}`]),
          ...(change && state === 'on'
            ? ([
                ['cancelled', change.cancelled.length > 0 ? change.cancelled.join(', ') : 'none'],
                ...(change.cancelFailed.length > 0 ? [['cancel failed', change.cancelFailed.map((f) => `${f.orderId} (${f.code})`).join(', ')] as [string, string]] : []),
                ...(change.cancelSkipped ? [['not cancelled', change.cancelSkipped] as [string, string]] : []),
              ] as [string, string][])
            : []),
        ]);
      } catch (err) {
        reportError(io, err, o.json ?? false);
      }
    });

  const sim = program.command('sim').description('The embedded simulated broker');
  sim
    .command('reset')
    .description('Start a fresh simulated account with SIM_STARTING_CASH (positions, working orders and fills are discarded; the audit log is kept)')
    .option('-y, --yes', 'required: confirms the reset')
    .action(async (o: { yes?: boolean }) => {
      const io = processIo();
      try {
        const config = loadConfig();
        if (!o.yes) {
          io.stderr.write('sim reset discards the simulated account; run again with --yes to confirm\n');
          process.exitCode = EXIT.CONFIG;
          return;
        }
        await resetSimAccount(config);
        io.stdout.write(`Simulated account reset in ${config.dataDir} with ${config.sim.startingCash.toLocaleString('en-US')} ${config.sim.baseCurrency}\n`);
      } catch (err) {
        reportError(io, err, false);
      }
    });
}
