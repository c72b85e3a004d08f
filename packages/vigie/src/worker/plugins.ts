import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VigieError } from '../errors.js';
import type { CommandRegistry } from './commands/registry.js';
import { COMMAND_TYPES, type CommandHandler, type CommandType, type CustomCommand } from './commands/types.js';

/** What a plugin module receives: `export default function (api) { api.registerCommand({...}) }`. */
export interface PluginApi {
  /** Adds a named `custom` command. */
  registerCommand(cmd: CustomCommand): void;
  /** Installs (or replaces) the handler of a seed command type: `check-alerts`, `scrape`, `generate-cookies`. */
  registerHandler(type: Exclude<CommandType, 'custom'>, handler: CommandHandler): void;
}

/** A plugin module's default export. */
export type Plugin = (api: PluginApi) => void | Promise<void>;

/** Identity helper that gives plugin authors types: `export default definePlugin((api) => ...)`. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

/** Imports each plugin module and lets it register its custom commands; a broken plugin stops start-up. */
export async function loadPlugins(paths: readonly string[], registry: CommandRegistry, cwd = process.cwd()): Promise<void> {
  for (const path of paths) {
    const full = resolve(cwd, path);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(full).href)) as { default?: unknown };
    } catch (err) {
      throw new VigieError('PLUGIN_INVALID', `Cannot load plugin ${full}: ${(err as Error).message}. Check the path in --plugin / VIGIE_PLUGINS.`, 500, { cause: err });
    }
    if (typeof mod.default !== 'function') {
      throw new VigieError('PLUGIN_INVALID', `Plugin ${full} has no default export function; export default (api) => api.registerCommand({...}).`, 500);
    }
    await (mod.default as Plugin)({
      registerCommand: (cmd) => registry.registerCustom(cmd),
      registerHandler: (type, handler) => {
        if (type === ('custom' as string) || !(COMMAND_TYPES as readonly string[]).includes(type)) {
          throw new VigieError('PLUGIN_INVALID', `Plugin ${full}: registerHandler takes one of ${COMMAND_TYPES.filter((t) => t !== 'custom').join(', ')}; use registerCommand for custom commands.`, 500);
        }
        registry.setHandler(type, handler);
      },
    });
  }
}
