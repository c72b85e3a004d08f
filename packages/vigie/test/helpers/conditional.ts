import { it } from 'vitest';

/**
 * `it` when `applies`, else nothing: for cases that do not apply to one implementation of a
 * conformance suite. Not registering them (rather than skipping) keeps "skipped" for what CI
 * must never see: a missing service.
 */
export function itWhen(applies: boolean): typeof it {
  return applies ? it : ((() => undefined) as unknown as typeof it);
}
