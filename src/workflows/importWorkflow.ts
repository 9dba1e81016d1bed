/**
 * Import: contacts first (merged by e-mail), then one conversationImport child per conversation
 * under a sliding window. After `childrenPerRun` children it continues as new with its position, so
 * the history stays far below Temporal's limits at any scale. Pause is honoured between conversations.
 *
 * When Chatwoot refuses the token (401/403) no conversation can succeed until an operator replaces
 * it, so the refused conversations are not counted as failed: the import either holds (paused, the
 * parent told why) and starts them again on resume, or, for a delta sync, stops and fails with the
 * refusal so that the rollout retries the whole delta later.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { MergedContactActivities } from '../activities/export/mergedContacts.js';
import type { BulkActionActivities } from '../activities/import/bulkActions.js';
import type { ImportActivities } from '../activities/import/chatwootWrites.js';
import type { ImportPlanningActivities } from '../activities/import/planning.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { accessRefusalIn, retryAfterAccessFixed } from './accessRefusal.js';
import { chatwootWriteOptions, intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';
import { conversationImport } from './conversationImport.js';
import {
  accessRefusedSignal,
  childProgressSignal,
  type ImportProgress,
  type ImportProgressSummary,
  importProgressQuery,
  pauseSignal,
  resumeSignal,
  signalDescriptions,
} from './definitions.js';
import { ACCESS_REFUSED } from './failureTypes.js';
import { ImportWindow, type ImportWindowState } from './importWindow.js';
import { recordRateSample, requestRateOf, type TimedRateSample } from './requestRate.js';

const chatwoot = proxyOn<ImportActivities>(chatwootWriteOptions);
const bookkeeping = proxyOn<ImportPlanningActivities>(shortOptions);
const intercomContacts = proxyOn<MergedContactActivities>(intercomExportOptions);
const bulkActions = proxyOn<BulkActionActivities>(chatwootWriteOptions);

/**
 * Since this patch a conversation the import creates leaves its labels and final status to
 * POST /bulk_actions, sent for up to BULK_BATCH of them at once (activities/import/bulkActions.ts),
 * and its sync record is written once the batch is read back applied.
 */
export const IMPORT_BULK_FINAL_STATE = 'import-bulk-labels-status';
const BULK_BATCH = 100;

/** Since this patch the window adapts to the throughput it observes (importWindow.ts). */
export const IMPORT_WINDOW_ADAPTS = 'import-window-adapts';
/** How often an import that follows the export looks for chunks it may import. */
const FOLLOW_INTERVAL = '2 seconds';
/**
 * Since this patch an import that follows the export looks for chunks every second: the first
 * chunk's rehosting ends at no particular time, and every second Chatwoot waits is a second of budget.
 */
export const IMPORT_FOLLOWS_SOONER = 'import-follows-sooner';
const SOONER_FOLLOW_INTERVAL = '1 second';
/**
 * Since this patch each chunk's conversations start longest first (listChunkConversationIds): a
 * conversation's messages go one after the other, so a 500-part conversation takes 500 round trips
 * however large the budget, and started late it was the import's last 18 s at half the budget
 * (issue 15, realistic bench). The order is decided when a chunk begins and carried in the position,
 * so a run continued as new from an older one goes on in the order its item index counts.
 */
export const IMPORT_LONGEST_FIRST = 'import-longest-first';
/**
 * Since this patch a batch of final states no longer waits for the one before it to be confirmed:
 * each waits a second for Chatwoot's job before its read-back, so at the import's end the last two
 * batches, one after the other, kept Chatwoot idle for seconds (issue 15, realistic bench). They
 * touch different conversations, and what each sends and reads back does not depend on the other.
 */
export const IMPORT_BULK_BATCHES_OVERLAP = 'import-bulk-batches-overlap';

const CONTACT_CHUNKS_AT_ONCE = 2;

/** Marks histories recorded since the migration's import reports its progress to the migration. */
export const IMPORT_PROGRESS_PATCH = 'import-progress-to-parent';
/**
 * Progress goes to the migration at most this often, and later at most every 1/200 of the time spent
 * so far: about 900 signals over a ten-hour import, so the migration's own history stays small.
 */
const PROGRESS_MIN_INTERVAL_MS = 5_000;
/** The rate is measured over the last samples (a minute at the shortest interval). */
const PROGRESS_SAMPLES = 12;

interface ProgressCarry {
  startedAt: number;
  lastSentAt: number;
  samples: { at: number; done: number }[];
}

export interface ImportPosition {
  contactsDone: boolean;
  chunkIndex: number;
  itemIndex: number;
  /** The current chunk's ids are in longest-first order (IMPORT_LONGEST_FIRST), not export order. */
  longestFirst?: boolean;
}

export interface ImportWorkflowArgs {
  input: MigrationInput;
  /** Manifest of the conversation chunks to import (the full export, or a delta). */
  manifestKey: string;
  /** Contacts to import before the conversations (the export's contacts, or a delta's). */
  contactsManifestKey?: string;
  paused?: boolean;
  position?: ImportPosition;
  totals?: ImportTotals;
  /**
   * On an access refusal: hold until resumed (the migration's import, whose parent shows why), or
   * stop and fail with it (delta syncs, which the rollout simply runs again later).
   */
  holdOnAccessRefusal?: boolean;
  /** Carried over continue-as-new: the refusal being held on, and the conversations to start again. */
  refusal?: string;
  refused?: ConversationRef[];
  /**
   * The manifest is the export's, still being written (accountMigration's IMPORT_FOLLOWS_EXPORT): each
   * chunk is imported once the export has written it and its attachments are rehosted, with the
   * contacts it names that Intercom merged away resolved first.
   */
  follow?: boolean;
  /** Carried over continue-as-new: the adaptive window (IMPORT_WINDOW_ADAPTS). */
  window?: ImportWindowState;
  /** Carried over continue-as-new: when progress was last reported, and the rate's samples. */
  progress?: ProgressCarry;
}

interface ConversationRef {
  conversationId: string;
  chunkKey: string;
}

export interface ImportTotals {
  started: number;
  completed: number;
  failed: number;
  /**
   * Messages of the imported conversations that exist in Chatwoot: posted by an attempt that
   * finished, or found there by it (written by an attempt that crashed, or by an earlier run).
   */
  messages: number;
  /** Of those, the ones the finishing attempts posted (absent from imports started before it existed). */
  messagesPosted?: number;
  runs: number;
  contactsCreated: number;
  contactsMerged: number;
  failedConversationIds: string[];
}

export async function importWorkflow(args: ImportWorkflowArgs): Promise<ImportTotals> {
  const { input } = args;
  let paused = args.paused ?? false;
  const position: ImportPosition = args.position ?? {
    contactsDone: args.contactsManifestKey === undefined,
    chunkIndex: 0,
    itemIndex: 0,
  };
  const totals: ImportTotals = args.totals ?? {
    started: 0,
    completed: 0,
    failed: 0,
    messages: 0,
    runs: 0,
    contactsCreated: 0,
    contactsMerged: 0,
    failedConversationIds: [],
  };
  totals.runs++;
  let inFlight = 0;
  const hold = args.holdOnAccessRefusal ?? false;
  let refusal = args.refusal;
  const refused: ConversationRef[] = [...(args.refused ?? [])];
  /** Fail-mode import that met a refusal: start nothing more. */
  const stopping = () => !hold && refusal !== undefined;
  const window = patched(IMPORT_WINDOW_ADAPTS)
    ? new ImportWindow(input.import.windowSize, args.window, Date.now())
    : undefined;
  const windowSize = () => window?.size ?? input.import.windowSize;
  const batchFinalState = patched(IMPORT_BULK_FINAL_STATE);
  const followInterval = patched(IMPORT_FOLLOWS_SOONER) ? SOONER_FOLLOW_INTERVAL : FOLLOW_INTERVAL;
  const longestFirst = patched(IMPORT_LONGEST_FIRST);
  const batchesOverlap = patched(IMPORT_BULK_BATCHES_OVERLAP);

  async function onRefusal(reason: string): Promise<void> {
    if (refusal !== undefined) return;
    refusal = reason;
    log.warn('Chatwoot refused the access token; the import holds', { reason });
    if (!hold) return;
    paused = true;
    const parent = workflowInfo().parent;
    if (!parent) return;
    try {
      await getExternalWorkflowHandle(parent.workflowId).signal(accessRefusedSignal, { reason });
    } catch (error) {
      log.warn('could not tell the parent about the refusal', { error: String(error) });
    }
  }

  /** Runs a step again after the operator's resume when it was refused, as often as that happens. */
  const untilAccepted = <T>(step: () => Promise<T>): Promise<T> =>
    retryAfterAccessFixed(step, async (reason) => {
      if (!hold) return false;
      await onRefusal(reason);
      await condition(() => !paused);
      return true;
    });

  const parent = workflowInfo().parent;
  // Only the migration's own import reports (delta syncs run under the rollout, which shows its own).
  const reports = hold && parent !== undefined && patched(IMPORT_PROGRESS_PATCH);
  const progress: ProgressCarry = args.progress ?? { startedAt: Date.now(), lastSentAt: 0, samples: [] };
  let reporting: Promise<void> = Promise.resolve();
  /** The latest Chatwoot request rate of each worker, from the conversations' results (no command). */
  const rateSamples = new Map<string, TimedRateSample>();

  /** Sends the migration a summary when the interval has passed (workflow time: deterministic). */
  function reportProgress(force = false): void {
    if (!reports || !parent) return;
    const now = Date.now();
    const interval = Math.max(PROGRESS_MIN_INTERVAL_MS, (now - progress.startedAt) / 200);
    if (!force && now - progress.lastSentAt < interval) return;
    progress.lastSentAt = now;
    const done = totals.completed + totals.failed;
    progress.samples.push({ at: now, done });
    if (progress.samples.length > PROGRESS_SAMPLES) progress.samples.shift();
    const first = progress.samples[0];
    const summary: ImportProgressSummary = {
      stage: position.contactsDone ? 'conversations' : 'contacts',
      completed: totals.completed,
      failed: totals.failed,
      messages: totals.messages,
      inFlight,
      // The adaptive window is declared with the conversations' stage: not read before it.
      windowSize: position.contactsDone ? windowSize() : input.import.windowSize,
      perMinute: now > first.at ? ((done - first.done) / (now - first.at)) * 60_000 : undefined,
      chatwoot: requestRateOf(rateSamples.values(), now),
      paused,
      at: now,
    };
    // Chained, so that summaries arrive in order; a lost one is replaced by the next.
    reporting = reporting
      .then(() =>
        getExternalWorkflowHandle(parent.workflowId).signal(childProgressSignal, { import: summary }),
      )
      .catch((error) => log.warn('could not report progress to the migration', { error: String(error) }));
  }

  setHandler(importProgressQuery, (): ImportProgress => ({ ...totals, inFlight, paused }), {
    description:
      'Conversations started, completed and failed; messages in Chatwoot (and posted by this run); in flight.',
  });
  setHandler(
    pauseSignal,
    () => {
      paused = true;
    },
    { description: signalDescriptions.pause },
  );
  setHandler(
    resumeSignal,
    () => {
      paused = false;
      // The operator has fixed the token (or wants another try): refused conversations start again.
      if (hold) refusal = undefined;
    },
    { description: signalDescriptions.resume },
  );

  if (!position.contactsDone && args.contactsManifestKey) {
    const contactChunks = await bookkeeping.listManifestChunks({ input }, args.contactsManifestKey);
    await bookkeeping.planContactMerges({ input }, args.contactsManifestKey);
    for (let i = 0; i < contactChunks.length; i += CONTACT_CHUNKS_AT_ONCE) {
      await condition(() => !paused);
      const results = await untilAccepted(() =>
        Promise.all(
          contactChunks
            .slice(i, i + CONTACT_CHUNKS_AT_ONCE)
            .map((chunkKey) => chatwoot.importContacts({ input }, chunkKey)),
        ),
      );
      for (const r of results) {
        totals.contactsCreated += r.created;
        totals.contactsMerged += r.merged;
      }
      reportProgress();
    }
    position.contactsDone = true;
  }

  reportProgress(true);
  const follow = args.follow === true;
  const chunkKeys = follow ? [] : await bookkeeping.listManifestChunks({ input }, args.manifestKey);
  const limit = input.import.limit;
  const running: Promise<void>[] = [];
  let startedThisRun = 0;
  let pollsThisRun = 0;

  /**
   * Conversations whose labels and status wait for a batch (IMPORT_BULK_FINAL_STATE). Batches run side
   * by side (one after the other before IMPORT_BULK_BATCHES_OVERLAP); every batch is confirmed before
   * continue-as-new and before the import ends, so none is carried over. A batch that fails for good
   * counts its conversations as failed.
   */
  const awaitingBatch: string[] = [];
  let batching: Promise<void> = Promise.resolve();
  const sendBatch = (): Promise<void> => {
    if (awaitingBatch.length === 0) return batching;
    const ids = awaitingBatch.splice(0);
    const applyBatch = async () => {
      try {
        await untilAccepted(() => bulkActions.applyFinalStates({ input }, ids));
      } catch (error) {
        totals.completed -= ids.length;
        totals.failed += ids.length;
        for (const id of ids) {
          if (totals.failedConversationIds.length < 1000) totals.failedConversationIds.push(id);
        }
        log.error('labels and status of a batch of conversations could not be applied', {
          conversations: ids.length,
          error: String(error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : error),
        });
      }
    };
    batching = batchesOverlap
      ? Promise.all([batching, applyBatch()]).then(() => undefined)
      : batching.then(applyBatch);
    return batching;
  };

  const continueAsNewNow = async (): Promise<never> => {
    await condition(() => inFlight === 0);
    await sendBatch();
    await reporting;
    return continueAsNew<typeof importWorkflow>({
      ...args,
      paused,
      position,
      totals,
      refusal,
      refused,
      progress: reports ? progress : undefined,
      window: window?.state,
    });
  };

  /**
   * The key of the manifest's chunk at `index`, or undefined past the last. Following the export, it
   * waits for the chunk to be written and rehosted (findChunksToImport), then resolves the contacts
   * of it that Intercom merged away (what the export does for the whole export when not followed).
   */
  let ready: string[] = [];
  let readyFrom = position.chunkIndex;
  let exportComplete = false;
  const chunkAt = async (index: number): Promise<string | undefined> => {
    if (!follow) return chunkKeys[index];
    for (let polls = 0; ; polls++) {
      if (index >= readyFrom && index - readyFrom < ready.length) break;
      if (exportComplete) return undefined;
      if (polls > 0) {
        // Waiting for the export: what is imported need not wait for a full batch.
        if (polls === 1) void sendBatch();
        window?.starve();
        if (pollsThisRun >= input.import.childrenPerRun || workflowInfo().continueAsNewSuggested)
          await continueAsNewNow();
        await sleep(followInterval);
      }
      pollsThisRun++;
      const found = await bookkeeping.findChunksToImport({ input }, args.manifestKey, index);
      ready = found.chunkKeys;
      readyFrom = index;
      exportComplete = found.complete;
    }
    const chunkKey = ready[index - readyFrom] as string;
    await intercomContacts.resolveMergedContactsInChunk({ input }, chunkKey);
    return chunkKey;
  };

  const runChild = async ({ conversationId, chunkKey }: ConversationRef) => {
    inFlight++;
    try {
      const handle = await startChild(conversationImport, {
        workflowId: workflowIds.conversation(input.account, conversationId),
        args: [{ input, conversationId, chunkKey, ...(batchFinalState ? { batchFinalState: true } : {}) }],
        // A paused or cancelled import must not orphan half-written conversations' workflows.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      const result = await handle.result();
      totals.completed++;
      recordRateSample(rateSamples, result.chatwootRate, Date.now());
      if (result.finalStatePending) {
        awaitingBatch.push(conversationId);
        if (awaitingBatch.length >= BULK_BATCH) void sendBatch();
      }
      // What exists, not what the last attempt wrote: a crashed attempt's messages are found there.
      totals.messages += result.messagesPosted + result.messagesAlreadyThere;
      totals.messagesPosted = (totals.messagesPosted ?? 0) + result.messagesPosted;
    } catch (error) {
      const reason = accessRefusalIn(error);
      if (reason !== undefined) {
        totals.started--;
        refused.push({ conversationId, chunkKey });
        await onRefusal(reason);
        return;
      }
      totals.failed++;
      if (totals.failedConversationIds.length < 1000) totals.failedConversationIds.push(conversationId);
      log.error('conversation import failed', {
        conversationId,
        error:
          error instanceof ChildWorkflowFailure
            ? String(error.cause?.message ?? error.message)
            : String(error),
      });
    } finally {
      inFlight--;
      window?.completed(Date.now());
      reportProgress();
    }
  };

  const start = (conversation: ConversationRef) => {
    running.push(runChild(conversation));
    totals.started++;
    startedThisRun++;
  };
  /** False once a fail-mode import has been refused. */
  const mayStartAnother = async () => {
    if (paused) window?.starve();
    await condition(() => stopping() || (!paused && inFlight < windowSize()));
    return !stopping();
  };

  chunks: for (;;) {
    const chunkKey = await chunkAt(position.chunkIndex);
    if (chunkKey === undefined) break;
    // A rehearsal on a sample (limit) keeps taking the export's first conversations.
    if (position.itemIndex === 0) position.longestFirst = (longestFirst && limit === 0) || undefined;
    const ids = position.longestFirst
      ? await bookkeeping.listChunkConversationIds({ input }, chunkKey, 'longestFirst')
      : await bookkeeping.listChunkConversationIds({ input }, chunkKey);
    while (position.itemIndex < ids.length) {
      if (limit > 0 && totals.started >= limit) break;
      if (!(await mayStartAnother())) break chunks;
      if (startedThisRun >= input.import.childrenPerRun || workflowInfo().continueAsNewSuggested) {
        await continueAsNewNow();
      }
      const again = refused.shift();
      if (again) {
        start(again);
        continue;
      }
      start({ conversationId: ids[position.itemIndex], chunkKey });
      position.itemIndex++;
    }
    if (limit > 0 && totals.started >= limit) break;
    position.chunkIndex++;
    position.itemIndex = 0;
    position.longestFirst = undefined;
  }
  window?.starve();
  // Conversations refused near the end are started again after the resume, like the others.
  for (;;) {
    await condition(
      () =>
        stopping() ||
        (inFlight === 0 && refused.length === 0) ||
        (refused.length > 0 && !paused && inFlight < windowSize()),
    );
    const again = stopping() ? undefined : refused.shift();
    if (!again) break;
    start(again);
  }
  await Promise.all(running);
  await sendBatch();
  await reporting;
  if (refusal !== undefined && !hold) {
    throw ApplicationFailure.create({ type: ACCESS_REFUSED, nonRetryable: true, message: refusal });
  }
  return totals;
}
