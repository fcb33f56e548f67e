/** `kill-switch on|off|status` and `sim reset`. */
import type { Command } from 'commander';
import { resetSimAccount } from '../../gateway.js';
import { printFields, printJson, processIo } from '../output.js';
import { EXIT, loadConfig, reportError, withClient } from '../run.js';

export function registerAdminCommands(program: Command): void {
  program
    .command('kill-switch')
    .description('Engage (on) or release (off) the kill switch, or show it. Engaging cancels every working order.')
    .argument('<state>', 'on | off | status')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--json', 'print JSON')
    .action(async (state: string, o: { reason?: string; json?: boolean }) => {
      if (!['on', 'off', 'status'].includes(state)) {
        process.stderr.write(`kill-switch: expected on, off or status, not "${state}"\n`);
        process.exitCode = EXIT.CONFIG;
        return;
      }
      await withClient(
        async (client, io) => {
          const ks = state === 'status' ? client.killSwitch() : await client.setKillSwitch(state === 'on', o.reason ?? `kill-switch ${state} from the CLI`);
          if (o.json) return printJson(io, ks);
          printFields(io, [
            ['kill switch', ks.engaged ? 'ENGAGED' : 'released'],
            ['reason', ks.reason],
            ['since', ks.since],
            ['by', ks.by],
          ]);
        },
        { json: o.json },
      );
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
        io.stdout.write(`Simulated account reset in ${config.dataDir} with ${config.sim.startingCash.toLocaleString('en-US')} USD\n`);
      } catch (err) {
        reportError(io, err, false);
      }
    });
}
