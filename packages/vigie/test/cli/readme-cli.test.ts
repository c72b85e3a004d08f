import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_PROMISE } from '../../src/cli/up.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runVigie } from '../helpers/vigie-process.js';

const README = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
// The browser tests' skip message lives in their shared Chromium helper.
const BROWSER_TEST = readFileSync(fileURLToPath(new URL('../../../client/test/helpers/chromium.ts', import.meta.url)), 'utf8');
const flat = (s: string) => s.replace(/\s+/g, ' ');

/** The shell blocks of a Markdown section. */
function shellBlocks(section: string): string[] {
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README and CLI agree (issue 17.10)', () => {
  const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('## What runs where'));

  it('the --demo help and the README promise the same thing', async () => {
    const help = await runVigie(['up', '--help']);
    expect(flat(help.stdout)).toContain(DEMO_PROMISE);
    expect(flat(quickStart)).toContain(DEMO_PROMISE);
  });

  it('the quick start runs `npm test` in a second terminal, not after `vigie up` (which does not return)', () => {
    for (const block of shellBlocks(quickStart)) {
      const lines = block.split('\n');
      const up = lines.findIndex((l) => /vigie up\b/.test(l));
      if (up >= 0) expect(lines.slice(up + 1).join('\n')).not.toMatch(/npm test/);
    }
    expect(flat(quickStart)).toMatch(/does not return[^.]*\. In a second terminal:/);
    expect(shellBlocks(quickStart).some((b) => b.includes('npm test'))).toBe(true);
  });

  it("says the browser tests need Debian's chromium and say skipped without it, as the test prints", () => {
    expect(flat(quickStart)).toContain("need Debian's `chromium` package");
    const said = /without it they say "([^"]+)"/.exec(flat(quickStart))?.[1];
    expect(said).toBeDefined();
    expect(BROWSER_TEST).toContain(said!);
  });

  it('documents every exit code', () => {
    for (const [name, code] of Object.entries(EXIT)) expect(flat(README)).toMatch(new RegExp(`\\*\\*${code}\\*\\* ${name === 'OK' ? 'ok' : name.toLowerCase()}`));
  });
});
