import type { Command } from 'commander';
import { renderConfigTable } from '../config/docs.js';
import { maskedConfig } from '../config/mask.js';
import { action, configFrom } from './common.js';

/** `vigie config check`: validates and prints the effective config, secrets masked. */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the effective config (defaults < file < env < flags) and print it with secrets masked')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const effective = configFrom(cmd);
        process.stdout.write(`${JSON.stringify(maskedConfig(effective), null, 2)}\n`);
      }),
    );
}

/** `vigie config docs`: prints the settings table (the README's is generated from it). */
export function registerConfigDocsCommand(program: Command): void {
  const config = program.commands.find((c) => c.name() === 'config')!;
  config
    .command('docs')
    .description('print every setting with its env name, default and meaning (Markdown)')
    .action(
      action(async () => {
        process.stdout.write(`${renderConfigTable()}\n`);
      }),
    );
}
