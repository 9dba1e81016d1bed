/**
 * Import: contacts first (merged by e-mail), then one conversationImport child per conversation
 * under a sliding window. After `childrenPerRun` children it continues as new with its position, so
 * the history stays far below Temporal's limits at any scale. Pause is honoured between conversations.
 */
import {
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { chatwootWriteOptions, shortOptions } from './activityOptions.js';
import { conversationImport } from './conversationImport.js';
import {
  type ImportProgress,
  importProgressQuery,
  pauseSignal,
  resumeSignal,
  signalDescriptions,
} from './definitions.js';

type Activities = ReturnType<typeof activities.createActivities>;
const chatwoot = proxyActivities<Activities>(chatwootWriteOptions);
const bookkeeping = proxyActivities<Activities>(shortOptions);

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
    },
    { description: signalDescriptions.resume },
  );

  if (!position.contactsDone && args.contactsManifestKey) {
    const contactChunks = await bookkeeping.listManifestChunks({ input }, args.contactsManifestKey);
    await bookkeeping.planContactMerges({ input }, args.contactsManifestKey);
    for (let i = 0; i < contactChunks.length; i += CONTACT_CHUNKS_AT_ONCE) {
      await condition(() => !paused);
      const results = await Promise.all(
        contactChunks
          .slice(i, i + CONTACT_CHUNKS_AT_ONCE)
          .map((chunkKey) => chatwoot.importContacts({ input }, chunkKey)),
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

  const runChild = async (conversationId: string, chunkKey: string) => {
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

  while (position.chunkIndex < chunkKeys.length) {
    const chunkKey = chunkKeys[position.chunkIndex];
    const ids = await bookkeeping.listChunkConversationIds({ input }, chunkKey);
    while (position.itemIndex < ids.length) {
      if (limit > 0 && totals.started >= limit) break;
      await condition(() => !paused && inFlight < input.import.windowSize);
      if (startedThisRun >= input.import.childrenPerRun || workflowInfo().continueAsNewSuggested) {
        await condition(() => inFlight === 0);
        await continueAsNew<typeof importWorkflow>({ ...args, paused, position, totals });
      }
      running.push(runChild(ids[position.itemIndex], chunkKey));
      position.itemIndex++;
      totals.started++;
      startedThisRun++;
    }
    if (limit > 0 && totals.started >= limit) break;
    position.chunkIndex++;
    position.itemIndex = 0;
  }
  await Promise.all(running);
  return totals;
}
