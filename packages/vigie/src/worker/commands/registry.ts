import { z } from 'zod';
import { VigieError } from '../../errors.js';
import { COMMAND_TYPES, type CommandContext, type CommandHandler, type CommandType, type CustomCommand } from './types.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const customPayload = z
  .object({
    name: z.string().min(1, 'payload.name is required'),
    data: z.unknown().optional(),
  })
  .strict();

/**
 * Which code answers which command. The seed's four types are always known; a known type whose
 * handler is not installed answers 501 (the worker understood, but cannot do it here), an
 * unknown type 400 (the caller is wrong).
 */
export class CommandRegistry {
  private readonly handlers = new Map<CommandType, CommandHandler>();
  private readonly custom = new Map<string, CustomCommand>();

  constructor() {
    this.handlers.set('custom', (payload, ctx) => this.runCustom(payload, ctx));
  }

  /** Installs the handler of a seed command type (replacing any previous one). */
  setHandler(type: Exclude<CommandType, 'custom'>, handler: CommandHandler): void {
    this.handlers.set(type, handler);
  }

  /** Registers a named `custom` command; names are unique. */
  registerCustom(cmd: CustomCommand): void {
    if (!NAME.test(cmd.name)) {
      throw new VigieError('PLUGIN_INVALID', `Custom command name "${cmd.name}" is invalid: use lower-case letters, digits, ".", "_" or "-".`, 500);
    }
    if (this.custom.has(cmd.name)) {
      throw new VigieError('PLUGIN_INVALID', `Custom command "${cmd.name}" is registered twice; each name must be unique.`, 500);
    }
    this.custom.set(cmd.name, cmd);
  }

  /** Names and descriptions of the custom commands, for health and docs. */
  customCommands(): Array<{ name: string; description?: string }> {
    return [...this.custom.values()].map(({ name, description }) => (description ? { name, description } : { name }));
  }

  /** The handler for `type`, or a typed error (400 unknown type, 501 not installed here). */
  resolve(type: string): CommandHandler {
    if (!(COMMAND_TYPES as readonly string[]).includes(type)) {
      throw new VigieError('UNKNOWN_COMMAND_TYPE', `Unknown command type "${type}". Known types: ${COMMAND_TYPES.join(', ')}.`, 400);
    }
    const handler = this.handlers.get(type as CommandType);
    if (!handler) {
      throw new VigieError('COMMAND_NOT_SUPPORTED', `This worker has no handler for "${type}" commands.`, 501);
    }
    return handler;
  }

  private async runCustom(payload: unknown, ctx: CommandContext): Promise<unknown> {
    const parsed = customPayload.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new VigieError(
        'INVALID_COMMAND',
        `Invalid custom command: ${issue.path.length ? `payload.${issue.path.join('.')}: ` : ''}${issue.message}. Expected { "name": "<handler>", "data": ... }.`,
        400,
      );
    }
    const cmd = this.custom.get(parsed.data.name);
    if (!cmd) {
      const known = [...this.custom.keys()].join(', ') || 'none';
      throw new VigieError('UNKNOWN_HANDLER', `No custom handler named "${parsed.data.name}". Registered: ${known}.`, 400);
    }
    return cmd.run(parsed.data.data, ctx);
  }
}
