import type { Dispatcher } from 'undici';
import { ConfigError } from '../../errors.js';
import { httpLoginFactory } from './http-login.js';
import type { Refresher, RefresherFactory } from './types.js';

export * from './types.js';
export { HttpLoginRefresher, httpLoginFactory, httpLoginDefinitionSchema, type HttpLoginDefinition } from './http-login.js';

/** The refreshers Vigie ships, by `type`. */
export const builtinRefresherFactories: readonly RefresherFactory[] = [httpLoginFactory];

export interface CreateRefreshersOptions {
  factories?: readonly RefresherFactory[];
  dispatcher?: Dispatcher;
}

/** Builds every refresher of the config file's `refreshers`; throws ConfigError naming a bad one. */
export function createRefreshers(raw: Record<string, unknown>, opts: CreateRefreshersOptions = {}): Map<string, Refresher> {
  const factories = new Map((opts.factories ?? builtinRefresherFactories).map((f) => [f.type, f]));
  const types = [...factories.keys()].join(', ') || 'none';
  const out = new Map<string, Refresher>();
  for (const [name, definition] of Object.entries(raw)) {
    const type = definition && typeof definition === 'object' ? (definition as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') throw new ConfigError(`Refresher "${name}" has no "type". Types there are: ${types}.`);
    const factory = factories.get(type);
    if (!factory) throw new ConfigError(`Refresher "${name}" has unknown type "${type}". Types there are: ${types}.`);
    out.set(name, factory.create(name, definition, opts.dispatcher ? { dispatcher: opts.dispatcher } : {}));
  }
  return out;
}
