import type { Dispatcher } from 'undici';
import { ConfigError } from '../../errors.js';
import { httpJsonFactory } from './http-json.js';
import type { Source, SourceFactory } from './types.js';

export * from './types.js';
export { HttpJsonSource, httpJsonFactory, httpJsonDefinitionSchema, type HttpJsonDefinition } from './http-json.js';

/** The adapters Vigie ships, by `type`. */
export const builtinSourceFactories: readonly SourceFactory[] = [httpJsonFactory];

export interface CreateSourcesOptions {
  /** Adapters to build from (default: the built-in ones); pass `[...builtinSourceFactories, mine]` to add one. */
  factories?: readonly SourceFactory[];
  /** undici dispatcher for every source's requests (e.g. an Agent bound to a source address). */
  dispatcher?: Dispatcher;
}

/**
 * Builds every source of the config file's `sources`, validating each definition with the
 * factory its `type` names. Throws ConfigError naming the source on an unknown type or a bad
 * field, so that a worker with a broken source does not start.
 */
export function createSources(raw: Record<string, unknown>, opts: CreateSourcesOptions = {}): Map<string, Source> {
  const factories = new Map((opts.factories ?? builtinSourceFactories).map((f) => [f.type, f]));
  const types = [...factories.keys()].join(', ') || 'none';
  const sources = new Map<string, Source>();
  for (const [name, definition] of Object.entries(raw)) {
    const type = definition && typeof definition === 'object' ? (definition as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') {
      throw new ConfigError(`Source "${name}" has no "type". Types there are: ${types}.`);
    }
    const factory = factories.get(type);
    if (!factory) {
      throw new ConfigError(`Source "${name}" has unknown type "${type}". Types there are: ${types}.`);
    }
    sources.set(name, factory.create(name, definition, opts.dispatcher ? { dispatcher: opts.dispatcher } : {}));
  }
  return sources;
}
