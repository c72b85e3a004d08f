import type { EventBus } from '../events/bus.js';
import type { FailoverPayload } from '../notify/types.js';
import type { Logger } from '../observability/logger.js';
import { scrub } from '../observability/secrets.js';
import { isStoreError, type Fence, type FailoverRecord, type StepInProgress, type Store } from '../store/index.js';
import { queueFailoverNotification, type FailoverNotifyTargets } from './notify.js';
import type { PlannedStep } from './policy.js';
import type { LadderFleet, LadderWorker } from './ports.js';
import type { MachineProvider, StepProgress, StepResult } from './providers/index.js';

/** The ban reason of a worker held out of work while a step runs on it (the canary loop probes it like a 403 ban). */
export const FAILOVER_BAN_REASON = 'failover step';

/** How a canary went: the source answered, refused the worker's address, or something else failed. */
export type CanaryVerdict = 'ok' | 'blocked' | 'error';

/** Outcomes as the metric counts them. */
export type StepOutcomeLabel = 'healed' | 'not_healed' | 'failed' | 'interrupted';

/** What a step needs from the ladder around it. */
export interface StepDeps {
  readonly fleet: LadderFleet;
  readonly store: Store;
  readonly provider: MachineProvider;
  readonly events: EventBus;
  readonly logger: Logger;
  /** One real source request from the worker (see FailoverLadder.canary). */
  readonly canary: (workerId: string, signal: AbortSignal) => Promise<CanaryVerdict>;
  /** The worker answers its health check at `url`. */
  readonly healthy: (url: string, signal: AbortSignal) => Promise<boolean>;
  readonly notifyTargets: () => FailoverNotifyTargets;
  readonly onOutcome?: ((step: string, outcome: StepOutcomeLabel) => void) | undefined;
  readonly now: () => number;
  /** Pause between readiness polls, ms (default 500). */
  readonly pollMs?: number;
}

export interface StepRequest {
  readonly workerId: string;
  readonly step: PlannedStep;
  /** Why ("3 upstream 403s in a row", "operator"), for the history. */
  readonly reason: string;
  readonly fence: Fence;
  /** FAILOVER_READY_WAIT_MS: how long the worker is polled after the step. */
  readonly readyWaitMs: number;
  readonly signal: AbortSignal;
}

export interface StepOutcome {
  /** False when another step on the worker was already recorded as under way (nothing done). */
  readonly started: boolean;
  readonly healed: boolean;
  /** Where the step put the worker (region, app), when it acted. */
  readonly result?: StepResult;
  readonly record?: FailoverRecord;
}

/**
 * One rung, start to end: record the step as under way (fenced, before anything is touched),
 * hold the worker out of work, ask the provider, save its checkpoints, apply the result through
 * the fleet, poll the worker (health, then a canary) up to `readyWaitMs`, give it work again only
 * if the canary passed, then record the step in the history with its notification (one fenced
 * transaction) and emit `failover.step`. A FENCED store answer at any point stops the step: a
 * newer leader owns the worker now.
 */
export async function runStep(deps: StepDeps, req: StepRequest): Promise<StepOutcome> {
  const { fleet, store, logger } = deps;
  const w = fleet.get(req.workerId);
  if (!w) return { started: false, healed: false };
  // The fleet's snapshot is live: keep what the worker was before the step changes it.
  const fromValue = w.url;
  const startedAt = deps.now();
  const begun = await store.fenced(req.fence, (r) =>
    r.failovers.begin({
      workerId: w.id, step: req.step.kind, fromValue, reason: req.reason, fencingToken: req.fence.token,
      flyApp: w.flyApp, machineId: w.machineId, progress: null, startedAt,
    }),
  );
  if (!begun) return { started: false, healed: false };
  logger.warn({ worker: w.id, step: req.step, reason: req.reason }, `failover: ${describeStep(req.step)} for ${w.name} (${req.reason})`);

  let result: StepResult | undefined;
  let error: string | null = null;
  let healed = false;
  try {
    await holdOut(fleet, w, req.readyWaitMs, deps.now());
    req.signal.throwIfAborted();
    result = await act(deps, w, req);
    await fleet.update(w.id, {
      url: result.url, ...(result.region ? { region: result.region } : {}), ...(result.name ? { name: result.name } : {}),
      ...(deps.provider.kind === 'fly' ? { ...(result.app ? { flyApp: result.app } : {}), ...(result.machineId ? { machineId: result.machineId } : {}) } : {}),
    }, 'failover');
    const ready = await waitReady(deps, w.id, result.url, req.readyWaitMs, req.signal);
    healed = ready === 'ok';
    if (healed) await fleet.unban(w.id, 'failover', deps.now());
    else error = ready === 'blocked' ? `still blocked after the step: the canary got 403 from ${result.url}` : `not ready within FAILOVER_READY_WAIT_MS (${req.readyWaitMs} ms): health or canary failed at ${result.url}`;
  } catch (err) {
    if (isStoreError(err, 'FENCED')) throw err;
    error = req.signal.aborted ? `interrupted: leadership lost or coordinator stopping (${message(err)})` : message(err);
  }
  const outcome: StepOutcomeLabel = healed ? 'healed' : result ? 'not_healed' : req.signal.aborted ? 'interrupted' : 'failed';
  const record = await finish(deps, req.fence, w, {
    step: req.step.kind, fromValue, toValue: result?.url ?? null,
    ok: healed, reason: req.reason, error, at: startedAt,
  });
  deps.onOutcome?.(req.step.kind, outcome);
  if (healed) logger.info({ worker: w.id, step: req.step.kind, to: result?.url }, `failover: ${w.name} healed by the ${req.step.kind} step; it takes work again`);
  else logger.warn({ worker: w.id, step: req.step.kind, error }, `failover: the ${req.step.kind} step did not heal ${w.name}: ${error}`);
  return { started: true, healed, ...(result ? { result } : {}), record };
}

/**
 * A new leader's duty: steps recorded as under way by a previous leader (it died or lost its
 * lease mid-step) are recorded as failed, with what their last checkpoint says was left (a
 * machine created, an old one about to be destroyed), so that the worker can climb again and an
 * operator knows what to check. The worker stays banned; its canaries end the ban if it works.
 */
export async function recoverSteps(deps: StepDeps, fence: Fence): Promise<number> {
  let n = 0;
  for (const s of await deps.store.failovers.inProgress()) {
    if (s.fencingToken >= fence.token) continue;
    const w = deps.fleet.get(s.workerId);
    const error = `interrupted: the leader that began it (fencing ${s.fencingToken}) stopped mid-step${describeProgress(s)}`;
    await finish(deps, fence, w ?? { id: s.workerId, name: s.workerId }, { step: s.step, fromValue: s.fromValue, toValue: w?.url ?? null, ok: false, reason: s.reason, error, at: s.startedAt });
    deps.onOutcome?.(s.step, 'interrupted');
    deps.logger.warn({ worker: s.workerId, step: s.step, progress: s.progress }, `failover: ${error}`);
    n++;
  }
  return n;
}

/** Records the step in the history, forgets it as under way, queues its notification: one fenced transaction; then the event. */
async function finish(
  deps: StepDeps,
  fence: Fence,
  w: Pick<LadderWorker, 'id' | 'name'>,
  rec: { step: StepInProgress['step']; fromValue: string | null; toValue: string | null; ok: boolean; reason: string; error: string | null; at: number },
): Promise<FailoverRecord> {
  const payload: FailoverPayload = { event: 'failover', kind: 'step', workerId: w.id, workerName: w.name, ...rec };
  const record = await deps.store.fenced(fence, async (r) => {
    const saved = await r.failovers.record({ workerId: w.id, ...rec });
    await r.failovers.end(w.id);
    await queueFailoverNotification(r, payload, deps.notifyTargets());
    return saved;
  });
  deps.events.emit('failover.step', { workerId: w.id, step: rec.step, fromValue: rec.fromValue, toValue: rec.toValue, ok: rec.ok, reason: rec.reason, error: rec.error });
  return record;
}

/** The provider call, with its checkpoints saved under the fence (a refused one stops the step). */
async function act(deps: StepDeps, w: LadderWorker, req: StepRequest): Promise<StepResult> {
  const target = { workerId: w.id, url: w.url, region: w.region, name: w.name, flyApp: w.flyApp ?? undefined, machineId: w.machineId ?? undefined };
  const ctx = {
    signal: req.signal,
    logger: deps.logger,
    checkpoint: async (progress: StepProgress) => {
      await deps.store.fenced(req.fence, (r) => r.failovers.checkpoint(w.id, progress));
    },
  };
  switch (req.step.kind) {
    case 'restart':
      return deps.provider.restart(target, ctx);
    case 'region':
      return deps.provider.moveRegion(target, req.step.regions, ctx);
    case 'app':
      return deps.provider.switchApp(target, req.step.app, ctx);
  }
}

/** A worker not banned (an operator's trigger) is banned for the step's length, so that no batch goes to a machine being replaced. */
async function holdOut(fleet: LadderFleet, w: LadderWorker, readyWaitMs: number, now: number): Promise<void> {
  if (w.bannedUntil !== null && w.bannedUntil > now) return;
  await fleet.ban(w.id, { until: now + readyWaitMs + 10 * 60_000, banCount: w.banCount, reason: FAILOVER_BAN_REASON });
}

/** Health first (the process is up), then one real request (the address is not blocked); until `waitMs` has passed. */
async function waitReady(deps: StepDeps, workerId: string, url: string, waitMs: number, signal: AbortSignal): Promise<CanaryVerdict> {
  const deadline = deps.now() + waitMs;
  const pollMs = deps.pollMs ?? 500;
  let last: CanaryVerdict = 'error';
  for (;;) {
    signal.throwIfAborted();
    if (await deps.healthy(url, signal)) {
      last = await deps.canary(workerId, signal);
      // A 403 is an answer: the step did not clear the block; waiting longer will not change it.
      if (last !== 'error') return last;
    }
    if (deps.now() + pollMs > deadline) return last;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function describeStep(step: PlannedStep): string {
  return step.kind === 'restart' ? 'restart' : step.kind === 'region' ? `move to a region among ${step.regions.join(', ')}` : `switch to app ${step.app}`;
}

function describeProgress(s: StepInProgress): string {
  const p = s.progress as Partial<StepProgress> | null;
  if (!p || typeof p.machineId !== 'string') return '';
  return p.phase === 'created'
    ? `; it had created machine ${p.machineId} (${p.app ?? '?'}, ${p.region ?? '?'}): check it (fly machine list) and destroy it if the worker still runs on ${s.machineId ?? 'its old machine'}`
    : `; it was destroying the old machine ${p.machineId} (${p.app ?? '?'}): check that it is gone`;
}

function message(err: unknown): string {
  return scrub(err instanceof Error ? err.message : String(err));
}
