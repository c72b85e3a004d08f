import { afterAll, describe, expect, it } from 'vitest';
import { createMachineProvider } from '../../src/remediation/providers/index.js';
import { FlyMachinesApi } from '../../src/remediation/providers/fly/api.js';
import type { LocalWorkerSupervisor } from '../../src/remediation/providers/local.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { spawnVigie, type VigieProcess } from '../helpers/vigie-process.js';

const base = { flyApiUrl: 'http://127.0.0.1:1/v1', flyApiToken: undefined, flyApp: undefined, flyWorkerUrlTemplate: 'http://{machineId}.vm.{app}.internal:8081' };
const logger = captureLogger().logger;

describe('createMachineProvider', () => {
  it('builds the provider MACHINE_PROVIDER names', () => {
    expect(createMachineProvider({ ...base, machineProvider: 'dry-run' }, { logger }).kind).toBe('dry-run');
    expect(createMachineProvider({ ...base, machineProvider: 'fly', flyApiToken: 'fo1_abcdefgh' }, { logger }).kind).toBe('fly');
    const supervisor: LocalWorkerSupervisor = {
      hostOf: () => undefined,
      hostsInUse: () => new Set(),
      restart: async () => ({ url: '' }),
      relocate: async () => ({ url: '' }),
    };
    expect(createMachineProvider({ ...base, machineProvider: 'local' }, { logger, supervisor }).kind).toBe('local');
  });

  it('fails at start-up, with what to do, when the provider cannot work', () => {
    expect(() => createMachineProvider({ ...base, machineProvider: 'fly' }, { logger })).toThrow(expect.objectContaining({ code: 'FLY_NOT_CONFIGURED', httpStatus: 400 }));
    expect(() => createMachineProvider({ ...base, machineProvider: 'local' }, { logger })).toThrow(/vigie up.*MACHINE_PROVIDER=fly/);
    expect(() => createMachineProvider({ ...base, machineProvider: 'fly', flyApiToken: 'fo1_abcdefgh', flyWorkerUrlTemplate: 'http://{id}' }, { logger })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('vigie fly-fake', () => {
  const TOKEN = 'demo-token-0123456789';
  let fake: VigieProcess | undefined;
  afterAll(async () => {
    await fake?.stop();
  });

  it('serves the fake Machines API on 127.0.0.1 with the given machines, for the real client, and never prints the token', async () => {
    fake = spawnVigie(['fly-fake', '--port', '0', '--machine', 'vigie-standby:cdg:stopped', '--transition-ms', '20'], { FLY_API_TOKEN: TOKEN });
    const line = await fake.waitForLog((l) => l.msg === 'fake Fly Machines API listening; set FLY_API_URL to it');
    const url = String(line.flyApiUrl);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const log = captureLogger();
    const api = new FlyMachinesApi({ baseUrl: url, token: TOKEN, logger: log.logger });
    const [machine] = await api.listMachines('vigie-standby');
    expect(machine).toMatchObject({ region: 'cdg', state: 'stopped' });
    await api.startMachine('vigie-standby', machine!.id);
    await api.waitForState('vigie-standby', machine!.id, 'started', 5);
    await expect(new FlyMachinesApi({ baseUrl: url, token: 'wrong-token-xyz', logger }).listMachines('vigie-standby')).rejects.toMatchObject({ code: 'FLY_UNAUTHORIZED' });
    // A second fake on the same port: a clear error, exit 2.
    const busy = spawnVigie(['fly-fake', '--port', new URL(url).port], { FLY_API_TOKEN: TOKEN });
    expect(await busy.exited).toBe(2);
    expect(busy.output()).toMatch(/already in use: pick another with --port/);
    expect(await fake.stop()).toBe(0);
    expect(fake.output()).not.toContain(TOKEN);
  });

  it('refuses to start without FLY_API_TOKEN, and says how to set one', async () => {
    const p = spawnVigie(['fly-fake', '--port', '0']);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/Set FLY_API_TOKEN.*FLY_NOT_CONFIGURED/s);
  });
});
