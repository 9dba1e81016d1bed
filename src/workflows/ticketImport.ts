/**
 * Tickets into Chatwoot (workflow id "migration-<account>/tickets"), after the conversations so that
 * the conversations a ticket links to are there to be noted. One importTicket activity per ticket
 * (idempotent: it finds what an earlier attempt wrote), a window of them at once; after
 * `childrenPerRun` it continues as new with its position, so its history stays small at any scale.
 * A ticket that fails is counted and listed, and the rest go on; an access refusal fails the
 * workflow, and the migration runs it again once the operator has fixed the token and resumed.
 *
 * Since IMPORT_TICKETS_BATCHED the labels, status and assignee of the tickets' new conversations go
 * by POST /bulk_actions, up to TICKET_BULK_BATCH tickets a batch (activities/import/ticketState.ts,
 * applyTicketFinalStates): every batch is confirmed before continue-as-new and before the end.
 */
import { ActivityFailure, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import type { BulkActionActivities } from '../activities/import/bulkActions.js';
import type { ImportPlanningActivities } from '../activities/import/planning.js';
import type { TicketImportActivities } from '../activities/import/tickets.js';
import type { MigrationInput } from '../config.js';
import { accessRefusalIn } from './accessRefusal.js';
import { chatwootWriteOptions, proxyOn, shortOptions } from './activityOptions.js';

const { importTicket } = proxyOn<TicketImportActivities>(chatwootWriteOptions);
const bookkeeping = proxyOn<ImportPlanningActivities>(shortOptions);
const bulkActions = proxyOn<BulkActionActivities>(chatwootWriteOptions);

/** The migration imports tickets (this child) since this patch. */
export const IMPORT_TICKETS = 'import-tickets';

/** Tickets' labels, statuses and assignees by POST /bulk_actions since this patch. */
export const IMPORT_TICKETS_BATCHED = 'import-tickets-batched';

/** Tickets per applyTicketFinalStates: one job's worth (bulkActions.ts BULK_IDS_PER_REQUEST). */
const TICKET_BULK_BATCH = 100;

export interface TicketImportTotals {
  started: number;
  completed: number;
  failed: number;
  /** Messages of the imported tickets that exist in Chatwoot, whoever's attempt wrote them. */
  messages: number;
  /** Of those, the ones this run's finishing attempts posted (absent in totals carried from before). */
  messagesPosted?: number;
  failedTicketIds: string[];
}

export interface TicketImportArgs {
  input: MigrationInput;
  /** The tickets' export manifest. */
  manifestKey: string;
  position?: { chunkIndex: number; itemIndex: number };
  totals?: TicketImportTotals;
}

export async function ticketImport(args: TicketImportArgs): Promise<TicketImportTotals> {
  const { input } = args;
  const position = args.position ?? { chunkIndex: 0, itemIndex: 0 };
  const totals: TicketImportTotals = args.totals ?? {
    started: 0,
    completed: 0,
    failed: 0,
    messages: 0,
    failedTicketIds: [],
  };
  const batchFinalState = patched(IMPORT_TICKETS_BATCHED);
  const chunkKeys = await bookkeeping.listManifestChunks({ input }, args.manifestKey);
  const window = Math.max(1, input.import.windowSize);
  let startedThisRun = 0;
  let refusal: unknown;

  const awaitingBatch: string[] = [];
  let batching: Promise<void> = Promise.resolve();
  /** A batch that fails for good counts its tickets as failed; their blobs stay for a re-run. */
  const sendBatch = (): Promise<void> => {
    if (awaitingBatch.length === 0) return batching;
    const ids = awaitingBatch.splice(0);
    batching = batching.then(async () => {
      try {
        await bulkActions.applyTicketFinalStates({ input }, ids);
      } catch (error) {
        if (accessRefusalIn(error) !== undefined) {
          refusal ??= error;
          return;
        }
        totals.completed -= ids.length;
        totals.failed += ids.length;
        for (const id of ids) if (totals.failedTicketIds.length < 1000) totals.failedTicketIds.push(id);
        log.error('labels and status of a batch of tickets could not be applied', {
          tickets: ids.length,
          error: String(error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : error),
        });
      }
    });
    return batching;
  };

  const runOne = async (ticketId: string, chunkKey: string) => {
    try {
      const result = await importTicket({
        input,
        ticketId,
        chunkKey,
        ...(batchFinalState ? { batchFinalState: true } : {}),
      });
      if (result.finalStatePending) awaitingBatch.push(ticketId);
      totals.completed++;
      // What exists in Chatwoot, including what a crashed attempt wrote before this one found it.
      totals.messages += result.messagesPosted + result.messagesAlreadyThere;
      totals.messagesPosted = (totals.messagesPosted ?? 0) + result.messagesPosted;
    } catch (error) {
      if (accessRefusalIn(error) !== undefined) {
        refusal ??= error;
        return;
      }
      totals.failed++;
      if (totals.failedTicketIds.length < 1000) totals.failedTicketIds.push(ticketId);
      log.error('ticket import failed', { ticketId, error: String(error) });
    }
  };

  while (position.chunkIndex < chunkKeys.length) {
    const chunkKey = chunkKeys[position.chunkIndex] as string;
    // Reads each record's `id`: the same activity lists a conversation chunk's.
    const ids = await bookkeeping.listChunkConversationIds({ input }, chunkKey);
    while (position.itemIndex < ids.length) {
      if (startedThisRun >= input.import.childrenPerRun || workflowInfo().continueAsNewSuggested) {
        await sendBatch();
        if (refusal !== undefined) throw refusal;
        await continueAsNew<typeof ticketImport>({ ...args, position, totals });
      }
      const batch = ids.slice(position.itemIndex, position.itemIndex + window);
      // A batch starts only after the last has finished, so continuing as new never leaves one running.
      await Promise.all(batch.map((id) => runOne(id, chunkKey)));
      if (awaitingBatch.length >= TICKET_BULK_BATCH) void sendBatch();
      if (refusal !== undefined) {
        await sendBatch();
        throw refusal;
      }
      totals.started += batch.length;
      startedThisRun += batch.length;
      position.itemIndex += batch.length;
    }
    position.chunkIndex++;
    position.itemIndex = 0;
  }
  await sendBatch();
  if (refusal !== undefined) throw refusal;
  return totals;
}
