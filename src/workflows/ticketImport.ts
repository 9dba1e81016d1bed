/**
 * Tickets into Chatwoot (workflow id "migration-<account>/tickets"), after the conversations so that
 * the conversations a ticket links to are there to be noted. One importTicket activity per ticket
 * (idempotent: it finds what an earlier attempt wrote), a window of them at once; after
 * `childrenPerRun` it continues as new with its position, so its history stays small at any scale.
 * A ticket that fails is counted and listed, and the rest go on; an access refusal fails the
 * workflow, and the migration runs it again once the operator has fixed the token and resumed.
 */
import { continueAsNew, log, workflowInfo } from '@temporalio/workflow';
import type { ImportPlanningActivities } from '../activities/import/planning.js';
import type { TicketImportActivities } from '../activities/import/tickets.js';
import type { MigrationInput } from '../config.js';
import { accessRefusalIn } from './accessRefusal.js';
import { chatwootWriteOptions, proxyOn, shortOptions } from './activityOptions.js';

const { importTicket } = proxyOn<TicketImportActivities>(chatwootWriteOptions);
const bookkeeping = proxyOn<ImportPlanningActivities>(shortOptions);

/** The migration imports tickets (this child) since this patch. */
export const IMPORT_TICKETS = 'import-tickets';

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
  const chunkKeys = await bookkeeping.listManifestChunks({ input }, args.manifestKey);
  const window = Math.max(1, input.import.windowSize);
  let startedThisRun = 0;
  let refusal: unknown;

  const runOne = async (ticketId: string, chunkKey: string) => {
    try {
      const result = await importTicket({ input, ticketId, chunkKey });
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
        await continueAsNew<typeof ticketImport>({ ...args, position, totals });
      }
      const batch = ids.slice(position.itemIndex, position.itemIndex + window);
      // A batch starts only after the last has finished, so continuing as new never leaves one running.
      await Promise.all(batch.map((id) => runOne(id, chunkKey)));
      if (refusal !== undefined) throw refusal;
      totals.started += batch.length;
      startedThisRun += batch.length;
      position.itemIndex += batch.length;
    }
    position.chunkIndex++;
    position.itemIndex = 0;
  }
  return totals;
}
