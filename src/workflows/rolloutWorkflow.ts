/**
 * The parallel run: website visitors move from the Intercom widget to Chatwoot's in phases
 * (10 -> 30 -> 60 -> 100 by default), each lasting a durable timer (a week by default) unless a signal
 * moves it. Meanwhile a delta sync imports what changed in Intercom, and each phase end compares
 * CSAT: when Chatwoot trails by more than the margin the rollout holds itself until someone signals.
 * At the end of the last phase comes the cut-over: a final delta sync, label check, Intercom
 * conversations tagged as migrated, and the snapshot sealed.
 *
 * Signals: advanceRollout moves at once (past the last phase, into the cut-over); holdRollout stops
 * the phase clock until advanceRollout, while delta syncs go on; rollbackRollout goes back one phase
 * and holds. pause stops delta syncs and the phase clock (the phase gets its paused time back on
 * resume) and keeps the cut-over from starting; operator signals still apply while paused.
 */
import {
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExportActivities } from '../activities/export/intercomReads.js';
import type { RolloutCheckActivities } from '../activities/rollout/checks.js';
import type { CutoverActivities } from '../activities/rollout/cutover.js';
import type { PublishingActivities } from '../activities/rollout/publishing.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { blobLayout } from '../storage/layout.js';
import { accessRefusalIn } from './accessRefusal.js';
import { chatwootWriteOptions, intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';
import {
  advanceRolloutSignal,
  childProgressSignal,
  holdRolloutSignal,
  pauseSignal,
  type RolloutPhaseChange,
  type RolloutStatus,
  resumeSignal,
  rollbackRolloutSignal,
  rolloutStatusQuery,
  signalDescriptions,
} from './definitions.js';
import { toMilliseconds } from './durations.js';
import { importWorkflow } from './importWorkflow.js';

const deltaExport = proxyOn<ExportActivities>(intercomExportOptions);
const cutover = proxyOn<CutoverActivities>(intercomExportOptions);
const checks = proxyOn<RolloutCheckActivities>(chatwootWriteOptions);
const publishing = proxyOn<PublishingActivities>(shortOptions);

/** Delta windows overlap by this much: Intercom's search cursor can skip items updated while paging. */
export const DELTA_OVERLAP_SECONDS = 600;
/** Far below Temporal's 51,200-event limit, so a month of hourly delta syncs never nears it. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;

export interface RolloutCarry {
  phaseIndex: number;
  phaseStartedAt: number;
  held: boolean;
  holdReason?: string;
  paused: boolean;
  /** When the current pause began (workflow time, ms). */
  pausedAt?: number;
  /** Time the current phase spent paused: a paused phase's clock stands still. */
  phasePausedMs?: number;
  history: RolloutPhaseChange[];
  highWater: number;
  nextDeltaAt: number;
  deltaRuns: number;
  deltaConversations: number;
  /** Changed conversations set aside by delta exports (malformed or oversized); see the delta manifests. */
  deltaRejected?: number;
  /** Set while delta syncs are refused (a revoked token): no phase advances and no cut-over meanwhile. */
  syncRefused?: string;
}

export interface RolloutArgs {
  input: MigrationInput;
  /** Unix seconds when the export began: the first delta sync starts there. */
  exportStartedAt: number;
  state?: RolloutCarry;
  /** Continue as new once the history holds this many events (default 8000). */
  continueAfterEvents?: number;
}

export interface RolloutResult {
  percentage: number;
  finished: boolean;
  cutoverAt: number;
  deltaRuns: number;
  deltaConversations: number;
  migratedTagged: number;
  sealedManifestKey: string;
}

type Command = { kind: 'advance' } | { kind: 'hold'; reason: string } | { kind: 'rollback'; reason: string };

/** Signal payloads are typed by hand in the Web UI: anything but {"reason": "..."} gets the default. */
function reasonFrom(payload: unknown, fallback: string): string {
  const reason = (payload as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' && reason.trim() !== '' ? reason.trim().slice(0, 500) : fallback;
}

/** Marks histories recorded after the cut-over started publishing its own rollout state. */
const PUBLISH_CUTOVER_PATCH = 'publish-cutover-state';
/** Marks histories recorded since the rollout tells the migration its percentage and history. */
export const ROLLOUT_PROGRESS_PATCH = 'rollout-progress-to-parent';

export async function rolloutWorkflow(args: RolloutArgs): Promise<RolloutResult> {
  const { input } = args;
  const phases = input.rollout.phases;
  const phaseDuration = toMilliseconds(input.rollout.phaseDuration);
  const deltaInterval = toMilliseconds(input.rollout.deltaSyncInterval);
  const state: RolloutCarry = args.state ?? {
    phaseIndex: -1,
    phaseStartedAt: Date.now(),
    held: !input.rollout.autoStart,
    holdReason: input.rollout.autoStart ? undefined : 'waiting for advanceRollout to start',
    paused: false,
    history: [],
    highWater: args.exportStartedAt,
    nextDeltaAt: Date.now() + deltaInterval,
    deltaRuns: 0,
    deltaConversations: 0,
  };
  const continueAfterEvents = args.continueAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE;
  const commands: Command[] = [];
  let finished = false;
  const percentage = () => (state.phaseIndex < 0 ? 0 : phases[state.phaseIndex]);

  setHandler(advanceRolloutSignal, () => void commands.push({ kind: 'advance' }), {
    description: signalDescriptions.advanceRollout,
  });
  setHandler(
    holdRolloutSignal,
    (arg) => void commands.push({ kind: 'hold', reason: reasonFrom(arg, 'held by an operator') }),
    { description: signalDescriptions.holdRollout },
  );
  setHandler(
    rollbackRolloutSignal,
    (arg) => void commands.push({ kind: 'rollback', reason: reasonFrom(arg, 'rolled back by an operator') }),
    { description: signalDescriptions.rollbackRollout },
  );
  setHandler(
    pauseSignal,
    () => {
      if (state.paused) return;
      state.paused = true;
      state.pausedAt = Date.now();
    },
    { description: signalDescriptions.pause },
  );
  setHandler(
    resumeSignal,
    () => {
      if (!state.paused) return;
      state.paused = false;
      state.phasePausedMs = (state.phasePausedMs ?? 0) + Date.now() - (state.pausedAt ?? Date.now());
      state.pausedAt = undefined;
    },
    { description: signalDescriptions.resume },
  );
  setHandler(
    rolloutStatusQuery,
    (): RolloutStatus => ({
      phaseIndex: state.phaseIndex,
      percentage: percentage(),
      held: state.held,
      holdReason: state.holdReason,
      paused: state.paused,
      history: state.history,
      finished,
    }),
    { description: 'Current phase and percentage, whether held and why, and every change so far.' },
  );

  const parent = workflowInfo().parent;
  const reports = parent !== undefined && patched(ROLLOUT_PROGRESS_PATCH);
  let reportedKey = '';
  let reporting: Promise<void> = Promise.resolve();
  /** The migration's page shows the rollout too: it is told of each change (not of each delta sync). */
  const reportProgress = () => {
    if (!reports || !parent) return;
    const phase = finished
      ? 'cut-over'
      : state.phaseIndex < 0
        ? 'not started'
        : `${state.phaseIndex + 1} of ${phases.length}`;
    const summary = {
      percentage: percentage(),
      phase,
      held: state.held,
      holdReason: state.holdReason,
      paused: state.paused,
      history: state.history.slice(-5),
      changes: state.history.length,
      finished,
    };
    const key = JSON.stringify({ ...summary, history: undefined });
    if (key === reportedKey) return;
    reportedKey = key;
    reporting = reporting
      .then(() =>
        getExternalWorkflowHandle(parent.workflowId).signal(childProgressSignal, { rollout: summary }),
      )
      .catch((error) => log.warn('could not report the rollout to the migration', { error: String(error) }));
  };

  const describe = () => {
    reportProgress();
    setCurrentDetails(
      [
        `## Rollout for account ${input.account}`,
        `**${percentage()}%** of visitors on Chatwoot (phase ${state.phaseIndex + 1} of ${phases.length})`,
        state.held ? `**Held:** ${state.holdReason ?? ''}` : '',
        state.paused ? '**Paused**' : '',
        state.syncRefused
          ? `**Delta sync refused:** ${state.syncRefused}. Fix what it names (a token: in the workers' environment, then restart them; an agent's access: in Chatwoot); the sync is tried again every interval.`
          : '',
        `Delta syncs: ${state.deltaRuns}, conversations synced: ${state.deltaConversations}` +
          (state.deltaRejected
            ? `, ${state.deltaRejected} set aside as malformed or oversized (${blobLayout.rejectedConversationsDir(input.account)} in the blob store)`
            : ''),
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  };

  const publish = (phase: string) =>
    publishing.publishRolloutState(
      { input },
      {
        account: input.account,
        percentage: percentage(),
        phase,
        updatedAt: new Date().toISOString(),
        history: state.history,
      },
    );

  async function goTo(index: number, reason: string): Promise<void> {
    state.phaseIndex = index;
    state.phaseStartedAt = Date.now();
    state.phasePausedMs = 0;
    if (state.paused) state.pausedAt = state.phaseStartedAt;
    state.history.push({ at: new Date().toISOString(), percentage: percentage(), reason });
    await publish(state.phaseIndex < 0 ? 'not-started' : `${state.phaseIndex + 1}/${phases.length}`);
    describe();
  }

  /** Infinite before the first phase; a pause moves the end of the phase by as long as it lasted. */
  const phaseDeadline = () =>
    state.phaseIndex < 0
      ? Number.POSITIVE_INFINITY
      : state.phaseStartedAt + phaseDuration + (state.phasePausedMs ?? 0);

  async function deltaSync(): Promise<void> {
    const until = Math.floor(Date.now() / 1000);
    const runKey = `delta-${String(state.deltaRuns + 1).padStart(5, '0')}`;
    const delta = await deltaExport.exportDelta({
      input,
      since: Math.max(0, state.highWater - DELTA_OVERLAP_SECONDS),
      until,
      runKey,
    });
    state.deltaRuns++;
    if (delta.rejected) state.deltaRejected = (state.deltaRejected ?? 0) + delta.rejected;
    if (delta.count > 0) {
      const totals = await executeChild(importWorkflow, {
        workflowId: workflowIds.child(input.account, runKey),
        args: [{ input, manifestKey: delta.manifestKey, contactsManifestKey: delta.contactsManifestKey }],
      });
      state.deltaConversations += totals.completed;
    }
    state.highWater = delta.highWater;
    state.nextDeltaAt = Date.now() + deltaInterval;
    describe();
  }

  /**
   * A refused token must not end weeks of rollout: the delta is tried again at its next interval
   * (the high-water mark stays, so nothing is skipped). False while refused.
   */
  async function syncOrNoteRefusal(): Promise<boolean> {
    try {
      await deltaSync();
    } catch (error) {
      const reason = accessRefusalIn(error);
      if (reason === undefined) throw error;
      state.syncRefused = reason;
      state.nextDeltaAt = Date.now() + deltaInterval;
      log.warn('delta sync refused; trying again at the next interval', { account: input.account, reason });
      describe();
      return false;
    }
    if (state.syncRefused !== undefined) {
      state.syncRefused = undefined;
      describe();
    }
    return true;
  }

  if (state.phaseIndex < 0 && input.rollout.autoStart) await goTo(0, 'rollout started after import');
  describe();

  for (;;) {
    const timerDue = state.held || state.paused ? Number.POSITIVE_INFINITY : phaseDeadline();
    const wakeAt = Math.min(timerDue, state.paused ? Number.POSITIVE_INFINITY : state.nextDeltaAt);
    const waitMs = wakeAt - Date.now();
    const pausedBefore = state.paused;
    const woken = () => commands.length > 0 || state.paused !== pausedBefore;
    if (waitMs > 0) {
      if (Number.isFinite(waitMs)) await condition(woken, waitMs);
      else await condition(woken);
    }

    let finishNow = false;
    while (commands.length > 0) {
      const command = commands.shift() as Command;
      if (command.kind === 'advance') {
        state.held = false;
        state.holdReason = undefined;
        if (state.phaseIndex >= phases.length - 1) finishNow = true;
        else await goTo(state.phaseIndex + 1, 'advanced by signal');
      } else if (command.kind === 'hold') {
        // The latest signal wins: a hold right after the final advance keeps the cut-over back.
        finishNow = false;
        state.held = true;
        state.holdReason = command.reason;
        describe();
      } else {
        finishNow = false;
        state.held = true;
        state.holdReason = command.reason;
        if (state.phaseIndex >= 0) await goTo(state.phaseIndex - 1, command.reason);
      }
    }

    if (!state.paused && Date.now() >= state.nextDeltaAt) await syncOrNoteRefusal();

    // The deadline is read again here: a signal handled just above may have started a new phase.
    const syncing = state.syncRefused === undefined;
    if (!finishNow && syncing && !state.held && !state.paused && Date.now() >= phaseDeadline()) {
      const csat = await checks.compareCsat(
        { input },
        { since: Math.floor(state.phaseStartedAt / 1000), until: Math.floor(Date.now() / 1000) },
      );
      if (csat.behind) {
        state.held = true;
        state.holdReason =
          `Chatwoot CSAT ${csat.chatwootScore?.toFixed(1)} trails Intercom ${csat.intercomScore?.toFixed(1)} ` +
          `by more than ${input.rollout.csatMargin} points; signal advanceRollout to continue anyway`;
        log.warn('rollout held by CSAT gate', { account: input.account, ...csat });
        describe();
      } else if (state.phaseIndex >= phases.length - 1) finishNow = true;
      else await goTo(state.phaseIndex + 1, 'phase duration elapsed');
    }

    if (finishNow) break;
    // Signals that arrived while an activity ran are still queued: handle them before moving on,
    // since continuing as new would drop them.
    const historyFull =
      workflowInfo().historyLength > continueAfterEvents || workflowInfo().continueAsNewSuggested;
    if (historyFull && commands.length === 0) {
      await reporting;
      await continueAsNew<typeof rolloutWorkflow>({
        input,
        exportStartedAt: args.exportStartedAt,
        state,
        continueAfterEvents: args.continueAfterEvents,
      });
    }
  }

  // Cut-over does work against both services: a paused rollout waits for resume before it starts.
  if (state.paused) {
    describe();
    await condition(() => !state.paused);
  }
  // Cut-over: nothing may be left behind in Intercom, and the record of what moved is sealed.
  while (!(await syncOrNoteRefusal())) await sleep(deltaInterval);
  await checks.verifyMigratedLabels({ input });
  const migratedTagged = await cutover.tagMigratedInIntercom({ input });
  const sealedManifestKey = await publishing.sealSnapshot({ input });
  const cutoverAt = Date.now();
  state.history.push({ at: new Date(cutoverAt).toISOString(), percentage: 100, reason: 'cut-over' });
  if (patched(PUBLISH_CUTOVER_PATCH)) await publish('cut-over');
  finished = true;
  describe();
  await reporting;
  return {
    percentage: percentage(),
    finished: true,
    cutoverAt,
    deltaRuns: state.deltaRuns,
    deltaConversations: state.deltaConversations,
    migratedTagged,
    sealedManifestKey,
  };
}
