/**
 * The parallel run on Temporal's time-skipping test server, with the real default durations: four
 * one-week phases and an hourly delta sync take a few seconds instead of a month. Activities are
 * fakes that record what the workflow asked for and when (in the server's skipped time).
 */
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type {
  ContactImportResult,
  ConversationImportArgs,
  ConversationImportResult,
  CsatComparison,
  DeltaExportArgs,
  DeltaExportResult,
  RolloutStateRecord,
} from '../src/activities/contract.js';
import {
  type MigrationInput,
  type MigrationInputRaw,
  migrationInputSchema,
  taskQueues,
} from '../src/config.js';
import { workflowBundle } from '../src/worker.js';
import {
  advanceRolloutSignal,
  holdRolloutSignal,
  pauseSignal,
  type RolloutStatus,
  resumeSignal,
  rollbackRolloutSignal,
  rolloutStatusQuery,
  signalDescriptions,
} from '../src/workflows/definitions.js';
import {
  DELTA_OVERLAP_SECONDS,
  type RolloutResult,
  rolloutWorkflow,
} from '../src/workflows/rolloutWorkflow.js';
import { until as holds } from './helpers/eventually.js';
import { startTimeSkipping, terminateWhenIdle } from './helpers/timeSkipping.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

interface Call {
  name: string;
  /** Server time (skipped) when the workflow scheduled the activity. */
  at: number;
  args: unknown[];
}

const AHEAD: CsatComparison = {
  intercomScore: 80,
  chatwootScore: 85,
  intercomRatings: 40,
  chatwootRatings: 20,
  behind: false,
};

/** Activity fakes the test reconfigures; every call is recorded with its scheduled time. */
class Fakes {
  calls: Call[] = [];
  csat: (window: { since: number; until: number }) => CsatComparison = () => AHEAD;
  deltaCount: (args: DeltaExportArgs) => number = () => 0;
  /** When set, the first matching activity call waits until the test releases it. */
  gate?: { activity: string; when: (args: unknown[]) => boolean; released: Promise<void> };

  reset(): void {
    this.calls = [];
    this.csat = () => AHEAD;
    this.deltaCount = () => 0;
    this.gate = undefined;
  }

  named(name: string): Call[] {
    return this.calls.filter((call) => call.name === name);
  }

  private async record(name: string, args: unknown[]): Promise<void> {
    this.calls.push({ name, at: Context.current().info.scheduledTimestampMs, args });
    const gate = this.gate;
    if (gate?.activity === name && gate.when(args)) {
      this.gate = undefined;
      await gate.released;
    }
  }

  /** Arms the gate; the returned function releases it. */
  hold(activity: string, when: (args: unknown[]) => boolean): () => void {
    let release = () => {};
    this.gate = { activity, when, released: new Promise<void>((resolve) => (release = resolve)) };
    return () => release();
  }

  activities() {
    return {
      publishRolloutState: async (_input: { input: MigrationInput }, state: RolloutStateRecord) => {
        await this.record('publishRolloutState', [state]);
      },
      exportDelta: async (args: DeltaExportArgs): Promise<DeltaExportResult> => {
        await this.record('exportDelta', [{ since: args.since, until: args.until, runKey: args.runKey }]);
        const dir = `acct-${args.input.account}/delta/${args.runKey}`;
        return {
          count: this.deltaCount(args),
          manifestKey: `${dir}/conversations/manifest.json`,
          contactsManifestKey: `${dir}/contacts/manifest.json`,
          deletedCount: 0,
          highWater: args.until,
        };
      },
      compareCsat: async (_input: { input: MigrationInput }, window: { since: number; until: number }) => {
        await this.record('compareCsat', [window]);
        return this.csat(window);
      },
      verifyMigratedLabels: async () => {
        await this.record('verifyMigratedLabels', []);
        return { checked: 3, repaired: 0 };
      },
      tagMigratedInIntercom: async () => {
        await this.record('tagMigratedInIntercom', []);
        return 3;
      },
      sealSnapshot: async ({ input }: { input: MigrationInput }) => {
        await this.record('sealSnapshot', []);
        return `acct-${input.account}/sealed-manifest.json`;
      },
      // The delta's import child: contacts, then one conversationImport per conversation.
      listManifestChunks: async (_input: { input: MigrationInput }, manifestKey: string) => {
        await this.record('listManifestChunks', [manifestKey]);
        return [manifestKey.replace(/manifest\.json$/, 'chunk-000001.jsonl')];
      },
      planContactMerges: async () => 0,
      importContacts: async (
        _input: { input: MigrationInput },
        chunkKey: string,
      ): Promise<ContactImportResult> => {
        await this.record('importContacts', [chunkKey]);
        return { created: 2, existing: 0, merged: 0, failed: 0 };
      },
      listChunkConversationIds: async (_input: { input: MigrationInput }, chunkKey: string) => {
        const runKey = /delta\/(delta-\d+)\//.exec(chunkKey)?.[1] ?? 'unknown';
        return [`${runKey}-a`, `${runKey}-b`, `${runKey}-c`];
      },
      importConversation: async (args: ConversationImportArgs): Promise<ConversationImportResult> => {
        await this.record('importConversation', [args.conversationId]);
        return {
          conversationId: args.conversationId,
          chatwootConversationId: 1,
          created: true,
          messagesPosted: 2,
          messagesAlreadyThere: 0,
          attachmentsUploaded: 0,
          attachmentsMissing: 0,
        };
      },
    };
  }
}

describe('the rollout on a time-skipping server', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<unknown>;
  const fakes = new Fakes();
  let account = 100;

  before(async () => {
    env = await startTimeSkipping();
    const activities = fakes.activities();
    const bundle = await workflowBundle();
    workers = await Promise.all(
      Object.values(taskQueues).map((taskQueue) =>
        Worker.create({
          connection: env.nativeConnection,
          taskQueue,
          activities,
          ...(taskQueue === taskQueues.main ? { workflowBundle: bundle } : {}),
        }),
      ),
    );
    running = Promise.all(workers.map((worker) => worker.run()));
  });

  after(async () => {
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await env?.teardown();
  });

  beforeEach(() => fakes.reset());
  const started: WorkflowHandle[] = [];

  function inputWith(rollout: MigrationInputRaw['rollout'] = {}): MigrationInput {
    return migrationInputSchema().parse({
      account: ++account,
      chatwoot: { baseUrl: 'http://127.0.0.1:9' },
      rollout,
    });
  }

  async function start(
    input: MigrationInput,
    extra: { continueAfterEvents?: number } = {},
  ): Promise<{
    handle: WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>;
    startedAt: number;
    exportStartedAt: number;
  }> {
    const startedAt = await env.currentTimeMs();
    const exportStartedAt = Math.floor(startedAt / 1000) - 2 * 3600;
    const handle = await env.client.workflow.start(rolloutWorkflow, {
      taskQueue: taskQueues.main,
      workflowId: `rollout-${input.account}`,
      args: [{ input, exportStartedAt, ...extra }],
    });
    started.push(handle);
    return { handle, startedAt, exportStartedAt };
  }

  /** Polls in real time (the server's clock is locked meanwhile) until the check holds. */
  const until = (check: () => boolean, what = 'the condition') =>
    holds(what, check, { timeoutMs: 10_000, intervalMs: 25 });

  /** Polls the query in real time (the server's clock is locked meanwhile) until the check holds. */
  async function statusWhen(
    handle: WorkflowHandle<typeof rolloutWorkflow>,
    check: (status: RolloutStatus) => boolean,
  ): Promise<RolloutStatus> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = await handle.query(rolloutStatusQuery);
      if (check(status)) return status;
      if (Date.now() > deadline) assert.fail(`rollout status never matched: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  afterEach(async () => {
    // A rollout left running would keep syncing hourly and slow every later skip of time.
    for (const handle of started.splice(0)) await terminateWhenIdle(handle);
  });

  const percentages = (name = 'publishRolloutState') =>
    fakes.named(name).map((call) => (call.args[0] as RolloutStateRecord).percentage);
  const deltaWindows = () =>
    fakes.named('exportDelta').map((call) => ({
      ...(call.args[0] as { since: number; until: number; runKey: string }),
      at: call.at,
    }));

  /** One advanceRollout per phase still ahead, the last one past 100% into the cut-over. */
  async function advanceToCutover(handle: WorkflowHandle<typeof rolloutWorkflow>): Promise<RolloutResult> {
    const { phaseIndex } = await handle.query(rolloutStatusQuery);
    for (let i = phaseIndex; i < 4; i++) await handle.signal(advanceRolloutSignal);
    return handle.result();
  }

  it('moves 10 -> 30 -> 60 -> 100 a week apart, syncing hourly, and cuts over after the fourth week', async () => {
    const input = inputWith();
    assert.equal(input.rollout.phaseDuration, '7 days');
    assert.equal(input.rollout.deltaSyncInterval, '1 hour');
    const { handle, startedAt, exportStartedAt } = await start(input);
    await statusWhen(handle, (s) => s.percentage === 10 && s.phaseIndex === 0 && !s.held);
    for (const percentage of [30, 60, 100]) {
      await env.sleep('7 days');
      await statusWhen(handle, (s) => s.percentage === percentage);
    }
    const result = await handle.result();

    const skipped = result.cutoverAt - startedAt;
    assert.ok(Math.abs(skipped - 4 * WEEK) < HOUR, `cut-over came ${skipped / DAY} days after the start`);
    assert.equal(result.finished, true);
    assert.equal(result.percentage, 100);
    assert.equal(result.migratedTagged, 3);
    assert.equal(result.sealedManifestKey, `acct-${input.account}/sealed-manifest.json`);
    const published = fakes.named('publishRolloutState').map((c) => c.args[0] as RolloutStateRecord);
    assert.deepEqual(
      published.map((p) => [p.percentage, p.phase]),
      [
        [10, '1/4'],
        [30, '2/4'],
        [60, '3/4'],
        [100, '4/4'],
        [100, 'cut-over'],
      ],
    );
    const publishedAt = fakes.named('publishRolloutState').map((c) => c.at - startedAt);
    for (let week = 1; week <= 4; week++) {
      assert.ok(
        Math.abs(publishedAt[week] - week * WEEK) < HOUR,
        `change ${week} came ${publishedAt[week] / DAY} days in`,
      );
    }
    // Each phase end asked for CSAT over that phase.
    const csatWindows = fakes.named('compareCsat').map((c) => c.args[0] as { since: number; until: number });
    assert.equal(csatWindows.length, 4);
    for (const window of csatWindows) {
      assert.ok(Math.abs(window.until - window.since - WEEK / 1000) < 3600, JSON.stringify(window));
    }

    // Delta syncs: hourly, each window starting ten minutes before the previous one ended.
    const windows = deltaWindows();
    assert.equal(result.deltaRuns, windows.length);
    assert.ok(Math.abs(windows.length - 4 * 7 * 24) <= 2, `${windows.length} delta syncs in four weeks`);
    assert.equal(windows[0].since, exportStartedAt - DELTA_OVERLAP_SECONDS);
    for (let i = 1; i < windows.length; i++) {
      assert.equal(windows[i].since, windows[i - 1].until - DELTA_OVERLAP_SECONDS, `window ${i}`);
      assert.equal(windows[i].runKey, `delta-${String(i + 1).padStart(5, '0')}`);
      const gap = windows[i].at - windows[i - 1].at;
      if (i < windows.length - 1)
        assert.ok(gap >= HOUR && gap < HOUR + 60_000, `gap ${gap} ms before sync ${i}`);
    }
    assert.equal(result.deltaConversations, 0);
    assert.equal(fakes.named('importConversation').length, 0, 'empty deltas start no import');

    // Cut-over: a final delta sync, then the label check, Intercom tagging, the sealed snapshot.
    assert.deepEqual(
      fakes.calls.slice(-6).map((c) => c.name),
      [
        'compareCsat',
        'exportDelta',
        'verifyMigratedLabels',
        'tagMigratedInIntercom',
        'sealSnapshot',
        'publishRolloutState',
      ],
    );
    const finalSync = windows.at(-1);
    assert.ok(finalSync && result.cutoverAt / 1000 - finalSync.until < 60, 'the final sync ran at cut-over');

    const final = await handle.query(rolloutStatusQuery);
    assert.equal(final.finished, true);
    assert.deepEqual(
      final.history.map((h) => [h.percentage, h.reason]),
      [
        [10, 'rollout started after import'],
        [30, 'phase duration elapsed'],
        [60, 'phase duration elapsed'],
        [100, 'phase duration elapsed'],
        [100, 'cut-over'],
      ],
    );
  });

  it('advanceRollout moves to the next phase at once, and past the last one into the cut-over', async () => {
    const { handle, startedAt } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    await handle.signal(advanceRolloutSignal);
    const status = await statusWhen(handle, (s) => s.percentage === 30);
    assert.equal(status.history.at(-1)?.reason, 'advanced by signal');
    assert.ok((await env.currentTimeMs()) - startedAt < 60_000, 'no phase timer was waited out');
    const result = await advanceToCutover(handle);
    assert.ok(result.cutoverAt - startedAt < 60_000, 'the cut-over followed the signals at once');
    assert.deepEqual(percentages(), [10, 30, 60, 100, 100]);
    assert.equal(result.deltaRuns, 1, 'only the final delta sync ran');
  });

  it('holdRollout stops the phase timer, delta syncs go on, and advanceRollout releases it', async () => {
    const { handle, startedAt } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    await handle.signal(holdRolloutSignal, { reason: 'waiting for the support lead' });
    await statusWhen(handle, (s) => s.held);
    await env.sleep('9 days');
    const held = await handle.query(rolloutStatusQuery);
    assert.equal(held.percentage, 10);
    assert.equal(held.held, true);
    assert.equal(held.holdReason, 'waiting for the support lead');
    assert.equal(fakes.named('compareCsat').length, 0, 'a held phase never reaches its end');
    assert.ok(fakes.named('exportDelta').length >= 9 * 24 - 2, 'delta syncs continue while held');

    await handle.signal(advanceRolloutSignal);
    const released = await statusWhen(handle, (s) => s.percentage === 30);
    assert.equal(released.held, false);
    assert.equal(released.holdReason, undefined);
    await until(() => percentages().length === 2, 'the 30% publication');
    const movedAt = fakes.named('publishRolloutState')[1].at;
    assert.ok(movedAt - startedAt >= 9 * DAY, 'the phase changed only when the signal came');
  });

  it('rollbackRollout goes back one phase and holds there', async () => {
    const { handle } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    await handle.signal(advanceRolloutSignal);
    await statusWhen(handle, (s) => s.percentage === 30);
    await handle.signal(rollbackRolloutSignal, { reason: 'widget fails on Safari' });
    const rolledBack = await statusWhen(handle, (s) => s.percentage === 10);
    assert.equal(rolledBack.phaseIndex, 0);
    assert.equal(rolledBack.held, true);
    assert.equal(rolledBack.holdReason, 'widget fails on Safari');
    assert.deepEqual(rolledBack.history.at(-1), {
      at: rolledBack.history.at(-1)?.at,
      percentage: 10,
      reason: 'widget fails on Safari',
    });
    await until(() => percentages().length === 3);
    assert.deepEqual(percentages(), [10, 30, 10], 'the widget router was told at once');

    await env.sleep('8 days');
    assert.equal((await handle.query(rolloutStatusQuery)).percentage, 10, 'held: the week passed unnoticed');
    await handle.signal(advanceRolloutSignal);
    assert.equal((await statusWhen(handle, (s) => s.percentage === 30)).held, false);
  });

  it('a rollback sent right after the final advance keeps the cut-over back', async () => {
    const release = fakes.hold(
      'publishRolloutState',
      ([state]) => (state as RolloutStateRecord).percentage === 100,
    );
    const { handle } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    for (let i = 0; i < 3; i++) await handle.signal(advanceRolloutSignal);
    await until(() => percentages().at(-1) === 100, 'the move to 100%');
    // Both arrive while the move to 100% is being published, so they are handled together.
    await handle.signal(advanceRolloutSignal);
    await handle.signal(rollbackRolloutSignal, { reason: 'second thoughts' });
    release();
    const status = await statusWhen(handle, (s) => s.percentage === 60);
    assert.equal(status.held, true);
    assert.equal(status.holdReason, 'second thoughts');
    await env.sleep('1 day');
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    assert.equal(fakes.named('sealSnapshot').length, 0);
  });

  it('pause stops delta syncs and the phase clock; resume catches up and continues where it stopped', async () => {
    const { handle, startedAt } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    await env.sleep('2 days');
    await handle.signal(pauseSignal);
    await statusWhen(handle, (s) => s.paused);
    const syncsBeforePause = fakes.named('exportDelta').length;
    assert.ok(syncsBeforePause >= 47, `${syncsBeforePause} syncs in two days`);

    await env.sleep('10 days');
    const paused = await handle.query(rolloutStatusQuery);
    assert.equal(paused.percentage, 10, 'no progression while paused');
    assert.equal(fakes.named('exportDelta').length, syncsBeforePause, 'no delta sync while paused');

    await handle.signal(resumeSignal);
    await statusWhen(handle, (s) => !s.paused);
    // The sync that fell due during the pause runs on resume.
    const resumedAt = await env.currentTimeMs();
    await env.sleep('1 minute');
    const catchUp = fakes.named('exportDelta').slice(syncsBeforePause);
    assert.ok(catchUp.length >= 1 && catchUp[0].at - resumedAt < 60_000, 'a delta sync ran on resume');

    // Five of the phase's seven days remain: nothing at four days, the next phase by six.
    await env.sleep('4 days');
    assert.equal((await handle.query(rolloutStatusQuery)).percentage, 10);
    await env.sleep('2 days');
    await statusWhen(handle, (s) => s.percentage === 30);
    await until(() => percentages().length === 2, 'the 30% publication');
    const movedAfter = fakes.named('publishRolloutState')[1].at - startedAt;
    assert.ok(Math.abs(movedAfter - 17 * DAY) < HOUR, `phase 2 began ${movedAfter / DAY} days in`);
  });

  it('a paused rollout waits for resume before it cuts over', async () => {
    const { handle } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    await handle.signal(pauseSignal);
    for (let i = 0; i < 4; i++) await handle.signal(advanceRolloutSignal);
    await until(() => percentages().length === 4, 'the operator moving it to 100%');
    await env.sleep('1 day');
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    assert.deepEqual(
      fakes.calls.map((c) => c.name).filter((name) => name !== 'publishRolloutState'),
      [],
      'no delta sync and no cut-over work while paused',
    );
    await handle.signal(resumeSignal);
    const result = await handle.result();
    assert.equal(result.finished, true);
    assert.deepEqual(
      fakes.calls.map((c) => c.name).filter((name) => name !== 'publishRolloutState'),
      ['exportDelta', 'verifyMigratedLabels', 'tagMigratedInIntercom', 'sealSnapshot'],
    );
  });

  it('the CSAT gate holds the rollout itself with the scores, and advanceRollout overrides it', async () => {
    fakes.csat = () => ({
      intercomScore: 90,
      chatwootScore: 62.5,
      intercomRatings: 40,
      chatwootRatings: 16,
      behind: true,
    });
    const { handle } = await start(inputWith({ csatMargin: 10 }));
    await statusWhen(handle, (s) => s.percentage === 10);
    await env.sleep('7 days');
    const gated = await statusWhen(handle, (s) => s.held);
    assert.equal(gated.percentage, 10);
    assert.match(gated.holdReason ?? '', /Chatwoot CSAT 62\.5 trails Intercom 90\.0 by more than 10 points/);
    assert.match(gated.holdReason ?? '', /advanceRollout/);
    assert.equal(fakes.named('compareCsat').length, 1);

    await env.sleep('3 days');
    assert.equal((await handle.query(rolloutStatusQuery)).percentage, 10, 'still held days later');
    assert.equal(fakes.named('compareCsat').length, 1, 'the gate does not re-run while held');

    fakes.csat = () => AHEAD;
    await handle.signal(advanceRolloutSignal);
    const overridden = await statusWhen(handle, (s) => s.percentage === 30);
    assert.equal(overridden.held, false);
    assert.equal(overridden.history.at(-1)?.reason, 'advanced by signal');
  });

  it('imports a non-empty delta through an importWorkflow child', async () => {
    fakes.deltaCount = (args) => (args.runKey === 'delta-00001' ? 3 : 0);
    const input = inputWith();
    const { handle } = await start(input);
    await statusWhen(handle, (s) => s.percentage === 10);
    await env.sleep('61 minutes');
    await until(() => fakes.named('importConversation').length === 3, 'three conversation imports');
    assert.deepEqual(
      fakes
        .named('importConversation')
        .map((c) => c.args[0])
        .sort(),
      ['delta-00001-a', 'delta-00001-b', 'delta-00001-c'],
    );
    const deltaDir = `acct-${input.account}/delta/delta-00001`;
    assert.deepEqual(
      fakes.named('importContacts').map((c) => c.args[0]),
      [`${deltaDir}/contacts/chunk-000001.jsonl`],
    );
    assert.ok(
      fakes.named('listManifestChunks').some((c) => c.args[0] === `${deltaDir}/conversations/manifest.json`),
    );
    const result = await advanceToCutover(handle);
    assert.equal(result.deltaConversations, 3);
    assert.equal(result.deltaRuns, 2, 'the hourly sync and the final one');
    const child = env.client.workflow.getHandle(`migration-${input.account}/delta-00001`);
    assert.equal((await child.describe()).status.name, 'COMPLETED');
  });

  it('continues as new when its history grows, keeping hold, history and delta windows', async () => {
    const input = inputWith();
    const { handle, exportStartedAt } = await start(input, { continueAfterEvents: 150 });
    await statusWhen(handle, (s) => s.percentage === 10);
    await handle.signal(holdRolloutSignal, { reason: 'kept across runs' });
    await statusWhen(handle, (s) => s.held);
    await env.sleep('3 days');
    const { runId } = await handle.describe();
    assert.notEqual(runId, handle.firstExecutionRunId, 'the rollout continued as new');
    const status = await handle.query(rolloutStatusQuery);
    assert.equal(status.held, true);
    assert.equal(status.holdReason, 'kept across runs');
    assert.deepEqual(
      status.history.map((h) => h.percentage),
      [10],
    );

    const result = await advanceToCutover(handle);
    const windows = deltaWindows();
    assert.equal(result.deltaRuns, windows.length);
    assert.ok(windows.length >= 3 * 24, `${windows.length} delta syncs`);
    assert.equal(windows[0].since, exportStartedAt - DELTA_OVERLAP_SECONDS);
    for (let i = 1; i < windows.length; i++) {
      assert.equal(windows[i].since, windows[i - 1].until - DELTA_OVERLAP_SECONDS, `window ${i}`);
      assert.equal(windows[i].runKey, `delta-${String(i + 1).padStart(5, '0')}`);
    }
    assert.deepEqual(percentages(), [10, 30, 60, 100, 100]);
    assert.equal(result.percentage, 100);
  });

  it('keeps a signal that arrives during the last activity before it continues as new', async () => {
    const release = fakes.hold(
      'exportDelta',
      ([window]) => (window as { runKey: string }).runKey === 'delta-00001',
    );
    // Ten events: it continues as new after every delta sync, unless a signal still waits.
    const { handle } = await start(inputWith(), { continueAfterEvents: 10 });
    await statusWhen(handle, (s) => s.percentage === 10);
    const skipping = env.sleep('61 minutes');
    await until(() => fakes.named('exportDelta').length === 1, 'the first delta sync');
    await handle.signal(holdRolloutSignal, { reason: 'sent while syncing' });
    release();
    await skipping;
    const status = await statusWhen(handle, (s) => s.held);
    assert.equal(status.holdReason, 'sent while syncing');
    await env.sleep('2 hours');
    const { runId } = await handle.describe();
    assert.notEqual(runId, handle.firstExecutionRunId, 'the rollout did continue as new');
    assert.equal((await handle.query(rolloutStatusQuery)).holdReason, 'sent while syncing');
  });

  it('registers its signals and query with descriptions, so the Web UI lists them', async () => {
    const { handle } = await start(inputWith());
    await statusWhen(handle, (s) => s.percentage === 10);
    const metadata = (await handle.query('__temporal_workflow_metadata')) as {
      definition: {
        type: string;
        signalDefinitions: { name: string; description?: string }[];
        queryDefinitions: { name: string; description?: string }[];
      };
    };
    assert.equal(metadata.definition.type, 'rolloutWorkflow');
    const signals = Object.fromEntries(
      metadata.definition.signalDefinitions.map((d) => [d.name, d.description]),
    );
    assert.deepEqual(signals, {
      advanceRollout: signalDescriptions.advanceRollout,
      holdRollout: signalDescriptions.holdRollout,
      pause: signalDescriptions.pause,
      resume: signalDescriptions.resume,
      rollbackRollout: signalDescriptions.rollbackRollout,
    });
    const queries = metadata.definition.queryDefinitions.map((d) => d.name);
    assert.ok(queries.includes('rolloutStatus'), queries.join(', '));
    assert.ok(
      metadata.definition.queryDefinitions.every((d) => d.description),
      'every query is described',
    );
  });
});
