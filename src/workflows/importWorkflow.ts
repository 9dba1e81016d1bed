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
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ImportActivities } from '../activities/import/chatwootWrites.js';
import type { ImportPlanningActivities } from '../activities/import/planning.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { accessRefusalIn, retryAfterAccessFixed } from './accessRefusal.js';
import { chatwootWriteOptions, proxyOn, shortOptions } from './activityOptions.js';
import { conversationImport } from './conversationImport.js';
import {
  accessRefusedSignal,
  type ImportProgress,
  importProgressQuery,
  pauseSignal,
  resumeSignal,
  signalDescriptions,
} from './definitions.js';
import { ACCESS_REFUSED } from './failureTypes.js';

const chatwoot = proxyOn<ImportActivities>(chatwootWriteOptions);
const bookkeeping = proxyOn<ImportPlanningActivities>(shortOptions);

const CONTACT_CHUNKS_AT_ONCE = 2;

export interface ImportPosition {
  contactsDone: boolean;
  chunkIndex: number;
  itemIndex: number;
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
}

interface ConversationRef {
  conversationId: string;
  chunkKey: string;
}

export interface ImportTotals {
  started: number;
  completed: number;
  failed: number;
  messages: number;
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

  setHandler(importProgressQuery, (): ImportProgress => ({ ...totals, inFlight, paused }), {
    description: 'Conversations started, completed and failed; messages posted; in flight.',
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
    }
    position.contactsDone = true;
  }

  const chunkKeys = await bookkeeping.listManifestChunks({ input }, args.manifestKey);
  const limit = input.import.limit;
  const running: Promise<void>[] = [];
  let startedThisRun = 0;

  const runChild = async ({ conversationId, chunkKey }: ConversationRef) => {
    inFlight++;
    try {
      const handle = await startChild(conversationImport, {
        workflowId: workflowIds.conversation(input.account, conversationId),
        args: [{ input, conversationId, chunkKey }],
        // A paused or cancelled import must not orphan half-written conversations' workflows.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      const result = await handle.result();
      totals.completed++;
      totals.messages += result.messagesPosted;
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
    }
  };

  const start = (conversation: ConversationRef) => {
    running.push(runChild(conversation));
    totals.started++;
    startedThisRun++;
  };
  /** False once a fail-mode import has been refused. */
  const mayStartAnother = async () => {
    await condition(() => stopping() || (!paused && inFlight < input.import.windowSize));
    return !stopping();
  };

  chunks: while (position.chunkIndex < chunkKeys.length) {
    const chunkKey = chunkKeys[position.chunkIndex];
    const ids = await bookkeeping.listChunkConversationIds({ input }, chunkKey);
    while (position.itemIndex < ids.length) {
      if (limit > 0 && totals.started >= limit) break;
      if (!(await mayStartAnother())) break chunks;
      if (startedThisRun >= input.import.childrenPerRun || workflowInfo().continueAsNewSuggested) {
        await condition(() => inFlight === 0);
        await continueAsNew<typeof importWorkflow>({ ...args, paused, position, totals, refusal, refused });
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
  }
  // Conversations refused near the end are started again after the resume, like the others.
  for (;;) {
    await condition(
      () =>
        stopping() ||
        (inFlight === 0 && refused.length === 0) ||
        (refused.length > 0 && !paused && inFlight < input.import.windowSize),
    );
    const again = stopping() ? undefined : refused.shift();
    if (!again) break;
    start(again);
  }
  await Promise.all(running);
  if (refusal !== undefined && !hold) {
    throw ApplicationFailure.create({ type: ACCESS_REFUSED, nonRetryable: true, message: refusal });
  }
  return totals;
}
