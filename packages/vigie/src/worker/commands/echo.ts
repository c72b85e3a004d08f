import type { CustomCommand } from './types.js';

/** The diagnostic command: answers its data unchanged, proving the path key → worker → handler works. */
export const echo: CustomCommand = {
  name: 'echo',
  description: 'Answers its data unchanged.',
  run: async (data) => data ?? null,
};
