#!/usr/bin/env node
/**
 * The ibkr-gateway command. Exit codes: 0 success, 1 failure (an error from
 * the gateway, an unhealthy check, a broken audit chain), 2 bad configuration
 * or usage.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT } from './run.js';

// `ibkr-gateway orders | head`: the reader leaving early is not a crash. Stop writing and let the
// command finish its cleanup (closing the account and the audit log) as it would have anyway.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

try {
  await (await buildProgram(process.argv.slice(2))).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and --version are successes; anything else is a usage error.
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.OK : EXIT.CONFIG;
  } else {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}
