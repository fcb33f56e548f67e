/**
 * `ibkr-gateway start ...` builds a program holding only `start` (its cold
 * start then loads none of the other commands' modules). What a user sees of
 * `start` must be the same as with the full program: its help, its alias and
 * its usage errors; every other command line still gets every command.
 */
import { type Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

function startOf(program: Command): Command {
  const found = program.commands.find((c) => c.name() === 'start');
  if (!found) throw new Error('no start command');
  return found;
}

/** What `ibkr-gateway <args>` writes (out and err) and the CommanderError code, without running any action; `full`: with every command built. */
async function outcome(args: readonly string[], full = false): Promise<{ out: string; err: string; code: string }> {
  const program = await buildProgram(full ? [] : args);
  let out = '';
  let err = '';
  const capture = { writeOut: (s: string): void => void (out += s), writeErr: (s: string): void => void (err += s) };
  program.configureOutput(capture);
  for (const c of program.commands) c.configureOutput(capture);
  try {
    await program.parseAsync(['node', 'ibkr-gateway', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { out, err, code: e.code };
  }
  throw new Error(`${args.join(' ')} ran an action`);
}

describe('the program for start', () => {
  it('holds only start when the command line begins with start or its alias', async () => {
    for (const first of ['start', 'start-api']) {
      const names = (await buildProgram([first, '--port', '8000'])).commands.map((c) => c.name());
      expect(names).toEqual(['start']);
    }
  });

  it('builds every command for anything else, --help start included', async () => {
    for (const args of [[], ['--help', 'start'], ['help', 'start'], ['healthcheck'], ['--api-url', 'http://x', 'start']]) {
      const names = (await buildProgram(args)).commands.map((c) => c.name());
      expect(names).toContain('start');
      expect(names).toContain('place');
      expect(names).toContain('audit');
      expect(names.length).toBeGreaterThan(10);
    }
  });

  it('shows the same help for start as the full program', async () => {
    const full = startOf(await buildProgram());
    const alone = startOf(await buildProgram(['start']));
    expect(alone.helpInformation()).toBe(full.helpInformation());
    expect(alone.aliases()).toEqual(['start-api']);
    const help = await outcome(['start', '--help']);
    expect(help.code).toBe('commander.helpDisplayed');
    expect(help.out).toBe(full.helpInformation());
    expect(help).toEqual(await outcome(['start', '--help'], true));
  });

  it('refuses a bad start command line as the full program does', async () => {
    const bad = await outcome(['start', '--prot', '8000']);
    expect(bad.code).toBe('commander.unknownOption');
    expect(bad.err).toContain("unknown option '--prot'");
    expect(bad.err).toContain('--port');
    expect(bad.err).toContain('(add --help for usage)');
    expect(bad).toEqual(await outcome(['start', '--prot', '8000'], true));
    const missing = await outcome(['start-api', '--port']);
    expect(missing.code).toBe('commander.optionMissingArgument');
    expect(missing).toEqual(await outcome(['start-api', '--port'], true));
    expect(await outcome(['start', 'extra'])).toEqual(await outcome(['start', 'extra'], true));
  });
});
