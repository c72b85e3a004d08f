/**
 * The monitor's persisted state (STANDBY_STATUS_FILE): the state machine's state plus what an
 * operator wants to see (last checks, last sync, the standby machine). Written whole to a temp
 * file, flushed, then renamed over the old one: a crash (kill -9, power loss) leaves either the
 * old file or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VigieError } from '../errors.js';
import type { StandbyMachine } from './activators/types.js';
import type { CheckResult } from './health-check.js';
import type { StandbyState } from './machine.js';
import type { SyncResult } from './rclone.js';

/** What STANDBY_STATUS_FILE holds. */
export interface StandbyStatus {
  version: 1;
  state: StandbyState;
  /** Which side may run its periodic jobs now. */
  active: 'primary' | 'standby' | 'none';
  updatedAt: number;
  /** `local` or `fly`. */
  provider: string;
  /** The latest checks of the primary, newest last. */
  checks: CheckResult[];
  /** The latest readiness checks of the standby, newest last. */
  standbyChecks: CheckResult[];
  lastSync?: SyncResult & { direction: 'to-remote' | 'from-remote' };
  /** The last sync that succeeded (the copy the standby starts from). */
  lastGoodSync?: SyncResult & { direction: 'to-remote' | 'from-remote' };
  /** The running monitor's endpoint (the CLI sends `activate`/`deactivate` there); absent when none runs. */
  endpoint?: { url: string; pid: number };
  /** The standby as last seen by the monitor (`state: 'stopped'` after a fail-back); absent before the first failover. */
  machine?: StandbyMachine;
}

/** Checks kept in the status file. */
export const CHECKS_KEPT = 10;

/** Reads the status file; undefined when it does not exist yet. A corrupt file is an error naming it. */
export async function readStatus(file: string): Promise<StandbyStatus | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VigieError('STANDBY_STATUS_UNREADABLE', `Cannot read the standby status file ${file}: ${(err as Error).message}. Check STANDBY_STATUS_FILE and its permissions.`, 500);
  }
  try {
    const status = JSON.parse(text) as StandbyStatus;
    if (status?.version !== 1 || typeof status.state?.name !== 'string') throw new Error('not a standby status (version 1)');
    return status;
  } catch (err) {
    throw new VigieError(
      'STANDBY_STATUS_UNREADABLE',
      `The standby status file ${file} is not valid: ${(err as Error).message}. Move it away to start from "primary-active" (check first whether a standby is running: \`vigie standby deactivate\` stops it).`,
      500,
    );
  }
}

/** Writes the status file atomically (temp file, fsync, rename). */
export async function writeStatus(file: string, status: StandbyStatus): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(status, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
