// What every machine provider promises the failover ladder, run against each one (fly against
// the fake Machines API, local against real `vigie worker` processes, dry-run).
import { afterEach, describe, expect, it } from 'vitest';
import { VigieError } from '../../src/errors.js';
import type { MachineProvider, ProviderTarget, StepContext, StepResult } from '../../src/remediation/providers/types.js';
import { itWhen } from '../helpers/conditional.js';
import { captureLogger } from '../helpers/capture-logger.js';

/** One worker a provider can act on, and how to tell whether it serves. */
export interface ProviderFixture {
  readonly provider: MachineProvider;
  readonly target: ProviderTarget;
  /** Regions: the target's own first, then two others. */
  readonly regions: readonly [string, string, string];
  /** A fallback app the worker is not in. */
  readonly otherApp: string;
  /** True when the worker that `where` describes runs and would take work. */
  serving(where: Pick<StepResult, 'url' | 'app' | 'machineId'>): Promise<boolean>;
  close(): Promise<void>;
}

export interface ProviderHarness {
  readonly name: string;
  /** False for dry-run: it acts on nothing. */
  readonly changes: boolean;
  /** A fresh worker for one test. */
  fixture(): Promise<ProviderFixture>;
}

function ctx(signal = new AbortController().signal): StepContext & { log: ReturnType<typeof captureLogger> } {
  const log = captureLogger();
  return { signal, logger: log.logger, log };
}

/** Registers the conformance suite for one provider. */
export function providerConformanceSuite(h: ProviderHarness): void {
  // Generous: the local provider restarts real processes, slow on a loaded CI machine.
  describe(`machine provider conformance: ${h.name}`, { timeout: 90_000 }, () => {
    let f: ProviderFixture | undefined;
    const open = async () => (f = await h.fixture());
    afterEach(async () => {
      await f?.close();
      f = undefined;
    });

    it('restart: resolves with the worker as it now is, at the same address, serving', async () => {
      const { provider, target, serving } = await open();
      const result = await provider.restart(target, ctx());
      expect(result.changed).toBe(h.changes);
      expect(result.url).toBe(target.url);
      expect(result.region).toBe(target.region);
      expect(result.name).toBe(target.name);
      expect(result.detail).toEqual(expect.any(String));
      expect(await serving(result)).toBe(true);
    });

    it('region move: skips the current region, takes the next one, the worker serves from a new address', async () => {
      const { provider, target, regions, serving } = await open();
      const result = await provider.moveRegion(target, regions, ctx());
      expect(result.changed).toBe(h.changes);
      expect(await serving(result)).toBe(true);
      if (h.changes) {
        expect(result.region).toBe(regions[1]);
        expect(result.url).not.toBe(target.url);
        // The old place is given up: the worker is not left running twice.
        expect(await serving({ url: target.url, app: target.flyApp, machineId: target.machineId })).toBe(false);
      } else {
        expect(result).toMatchObject({ url: target.url, region: target.region });
        expect(result.detail).toContain(regions[1]);
      }
    });

    it('region move with no region other than its own: PROVIDER_EXHAUSTED, nothing changed', async () => {
      const { provider, target, regions, serving } = await open();
      await expect(provider.moveRegion(target, [regions[0]], ctx())).rejects.toMatchObject({ code: 'PROVIDER_EXHAUSTED' });
      await expect(provider.moveRegion(target, [], ctx())).rejects.toMatchObject({ code: 'PROVIDER_EXHAUSTED' });
      expect(await serving({ url: target.url, app: target.flyApp, machineId: target.machineId })).toBe(true);
    });

    it('app switch: the worker runs in the other app, at a new address', async () => {
      const { provider, target, otherApp, serving } = await open();
      const result = await provider.switchApp(target, otherApp, ctx());
      expect(result.changed).toBe(h.changes);
      expect(await serving(result)).toBe(true);
      if (h.changes) {
        expect(result.app).toBe(otherApp);
        expect(result.url).not.toBe(target.url);
      } else {
        expect(result.url).toBe(target.url);
        expect(result.detail).toContain(otherApp);
      }
    });

    it('a step given an aborted signal rejects and changes nothing', async () => {
      const { provider, target, regions, serving } = await open();
      const ac = new AbortController();
      ac.abort(new Error('leadership lost'));
      await expect(provider.moveRegion(target, regions, ctx(ac.signal))).rejects.toThrow('leadership lost');
      await expect(provider.restart(target, ctx(ac.signal))).rejects.toThrow('leadership lost');
      expect(await serving({ url: target.url, app: target.flyApp, machineId: target.machineId })).toBe(true);
    });

    itWhen(h.changes)('a worker the provider does not know is a VigieError with a stable code, not a crash', async () => {
      const { provider, target } = await open();
      const stranger: ProviderTarget = { workerId: 'nobody', url: 'http://127.0.0.1:9/', region: target.region, flyApp: target.flyApp, machineId: 'feedfacecafe00' };
      const err = await provider.restart(stranger, ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VigieError);
      expect((err as VigieError).code).toMatch(/^(PROVIDER|FLY)_[A-Z_]+$/);
    });

    it('logs each step it takes', async () => {
      const { provider, target } = await open();
      const c = ctx();
      await provider.restart(target, c);
      expect(c.log.lines().some((l) => l.workerId === target.workerId && l.provider === h.name)).toBe(true);
    });
  });
}
