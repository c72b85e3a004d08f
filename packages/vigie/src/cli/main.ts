import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { reportError } from './common.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { registerCoordinatorCommand } from './coordinator.js';
import { registerConfigCommand, registerConfigDocsCommand } from './config.js';
import { registerConfigStoreCommands } from './config-store.js';
import { registerCredentialsCommand } from './credentials.js';
import { registerAlertsCommand } from './alerts.js';
import { registerFleetCommands } from './fleet.js';
import { registerFailoverCommand } from './failover.js';
import { registerFlyFakeCommand } from './fly-fake.js';
import { registerLockCommand } from './lock.js';
import { registerStandbyCommand } from './standby.js';
import { registerUpCommand } from './up.js';
import { registerWorkerCommand } from './worker.js';

/** Builds the `vigie` program with every command. */
export function buildProgram(): Command {
  const program = new Command('vigie')
    .description('Vigie keeps a fleet of workers doing periodic jobs alive.')
    .version(VERSION)
    .option('--config <file>', 'config file (JSON or YAML; default ./vigie.config.json|yaml if present)')
    .option('--data-dir <dir>', 'data folder for the embedded store (VIGIE_DATA_DIR, default .vigie)')
    .option('--log-level <level>', 'trace | debug | info | warn | error (LOG_LEVEL)')
    .showHelpAfterError('(run `vigie --help` for the commands)')
    .addHelpText('after', EXIT_CODES_HELP)
    // Usage errors (unknown command or flag, missing argument) are thrown to main(), which
    // exits 2 for them; set before the commands are added, so that they inherit it.
    .exitOverride();
  registerUpCommand(program);
  registerCoordinatorCommand(program);
  registerWorkerCommand(program);
  registerFleetCommands(program);
  registerFailoverCommand(program);
  registerAlertsCommand(program);
  registerLockCommand(program);
  registerStandbyCommand(program);
  registerConfigCommand(program);
  registerConfigDocsCommand(program);
  registerConfigStoreCommands(program.commands.find((c) => c.name() === 'config')!);
  registerCredentialsCommand(program);
  registerFlyFakeCommand(program);
  return program;
}

/** The CLI entry point (bin/vigie.js). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help or version, which exit 0).
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    reportError(err);
  }
}
