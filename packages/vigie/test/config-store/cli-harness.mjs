// The built `vigie` program, with the config store commands registered when cli/main.ts does
// not register them yet (the lead wires registerConfigStoreCommands into buildProgram). Once it
// does, this is exactly bin/vigie.js, and cli.e2e.test.ts runs the real bin instead.
import { buildProgram } from '../../dist/cli/main.js';
import { registerConfigStoreCommands } from '../../dist/cli/config-store.js';
import { reportError } from '../../dist/cli/common.js';

const program = buildProgram();
const config = program.commands.find((c) => c.name() === 'config');
if (!config.commands.some((c) => c.name() === 'set')) registerConfigStoreCommands(config);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  reportError(err);
}
