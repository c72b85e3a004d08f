import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { toAlertInput } from '../alerts/import.js';
import { VigieError } from '../errors.js';
import type { Alert } from '../store/repos/alerts.js';
import { CoordinatorApi } from './api-client.js';
import { action, configFrom } from './common.js';

/** Reads FILE, or stdin for `-`. */
function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new VigieError('INVALID_INPUT', `Cannot read ${file === '-' ? 'stdin' : file}: ${(err as Error).message}.`, 400);
  }
}

/** `vigie alerts import FILE` and `vigie alerts export`: many alerts at once, NDJSON or a JSON array. */
export function registerAlertTransferCommands(alerts: Command): void {
  alerts
    .command('import <file>')
    .description('add every alert of a file (JSON array or one alert per line, `-` for stdin); one bad row imports nothing')
    .action(
      action(async (file: string, _f: unknown, cmd: Command) => {
        const text = readInput(file);
        // The server tells an array from NDJSON by the first character; the type is only a courtesy.
        const contentType = text.trimStart().startsWith('[') ? 'application/json' : 'application/x-ndjson';
        const res = await new CoordinatorApi(configFrom(cmd)).send('POST', '/api/v1/alerts/import', { text, contentType });
        process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
      }),
    );
  alerts
    .command('export')
    .description('write every alert, one per line (NDJSON), in the form `vigie alerts import` takes')
    .option('--active', 'only active ones')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      action(async (f: { active?: boolean; output?: string }, cmd: Command) => {
        const res = await new CoordinatorApi(configFrom(cmd)).call<{ alerts: Alert[] }>('GET', `/api/v1/alerts${f.active ? '?active=true' : ''}`);
        const text = res.alerts.map((a) => `${JSON.stringify(toAlertInput(a))}\n`).join('');
        if (f.output) writeFileSync(f.output, text);
        else process.stdout.write(text);
      }),
    );
}
