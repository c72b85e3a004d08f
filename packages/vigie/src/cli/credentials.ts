import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { previewSecret } from '../config/mask.js';
import { VigieError } from '../errors.js';
import { action, cliLogger, configFrom } from './common.js';

/** `vigie credentials set|status`: the credentials workers read from the store. */
export function registerCredentialsCommand(program: Command): void {
  const creds = program.command('credentials').description('manage the credentials workers use (scraping cookies, tokens)');

  creds
    .command('set <name>')
    .description('store a credential, read from a file or standard input (never from the command line, where it would land in shell history)')
    .option('--from-file <file>', 'read the value from this file')
    .option('--stdin', 'read the value from standard input')
    .option('--source <label>', 'where the value came from, shown by status', 'cli')
    .action(
      action(async (name: string, flags: { fromFile?: string; stdin?: boolean; source: string }, cmd: Command) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
          throw new VigieError('INVALID_INPUT', `Credential name "${name}" is invalid: use letters, digits, ".", "_" or "-".`, 400);
        }
        if (!!flags.fromFile === !!flags.stdin) {
          throw new VigieError('INVALID_INPUT', 'Give exactly one of --from-file <file> or --stdin.', 400);
        }
        const raw = flags.fromFile ? readFileSync(flags.fromFile, 'utf8') : await readStdin();
        const value = raw.replace(/\r?\n$/, '');
        if (value.trim().length === 0) throw new VigieError('INVALID_INPUT', 'The credential is empty; nothing was stored.', 400);
        const config = configFrom(cmd);
        const { openStore } = await import('../store/index.js');
        const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger: cliLogger(config, { cli: 'credentials' }) });
        try {
          await store.credentials.set(name, value, flags.source);
        } finally {
          await store.close();
        }
        process.stdout.write(`Stored credential "${name}": ${previewSecret(value)}\n`);
      }),
    );

  creds
    .command('status')
    .description('list stored credentials (names, sources, dates, redacted previews; never values)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: { json?: boolean }, cmd: Command) => {
        const config = configFrom(cmd);
        const { openStore } = await import('../store/index.js');
        const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger: cliLogger(config, { cli: 'credentials' }) });
        try {
          const list = await store.credentials.list();
          const rows = await Promise.all(
            list.map(async (c) => {
              const full = await store.credentials.get(c.name);
              return { ...c, preview: full ? previewSecret(full.value) : '' };
            }),
          );
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          } else if (rows.length === 0) {
            process.stdout.write(`No credentials stored. Add one: vigie credentials set ${config.scrapingCredential} --from-file <file>\n`);
          } else {
            for (const r of rows) {
              process.stdout.write(
                `${r.name}\tsource=${r.source}\tupdated=${new Date(r.updatedAt).toISOString()}\t${r.preview}\n`,
              );
            }
          }
        } finally {
          await store.close();
        }
      }),
    );
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Paste the value, then Ctrl-D:\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
