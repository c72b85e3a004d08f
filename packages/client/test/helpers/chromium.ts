// Headless Chromium for browser tests (Debian's `chromium`, driven by playwright-core): where
// it is, whether it is there, and how a test file says why it skips. Shared by the client's
// browser tests and the dashboard's acceptance test.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const REQUIRED = process.env['VIGIE_REQUIRE_SERVICES'] === '1';

/** True when the Chromium binary is there. */
export const chromiumAvailable = existsSync(CHROMIUM);

/**
 * Call once at the top of a browser test file: without Chromium it says why the tests skip,
 * and with VIGIE_REQUIRE_SERVICES=1 registers a failing test instead (a skip is what CI must
 * never see).
 */
export function reportMissingChromium(what: string): void {
  if (chromiumAvailable) return;
  console.warn(
    `[${what}] skipped: Chromium not found at ${CHROMIUM} (install Debian's "chromium" or set CHROMIUM_PATH; ` +
      'set VIGIE_REQUIRE_SERVICES=1 to make its absence fail the run)',
  );
  if (REQUIRED) {
    describe(`${what} prerequisites`, () => {
      it('needs Chromium when VIGIE_REQUIRE_SERVICES=1', () => {
        throw new Error(`Chromium not found at ${CHROMIUM} and VIGIE_REQUIRE_SERVICES=1`);
      });
    });
  }
}

/** Launches headless Chromium, loopback only in practice (no background network, no QUIC). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
