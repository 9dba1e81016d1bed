/**
 * The tickets' export (intercom-reads): ticket types with their attributes, ticket states, and every
 * ticket of the three categories whole, with its parts, into export/tickets/ chunks. Tickets are
 * listed only by POST /tickets/search, whose cursor is a position in a live ordering (a ticket
 * updated while paging shifts the rest, so one can be skipped): the search is read again until a
 * pass brings no ticket not already written. Each chunk lands in the partial manifest at once, where
 * the rehosting child finds it while its signed links are fresh.
 *
 * Resumable: the heartbeat carries the pass, the cursor and the chunks written; the ids already
 * written are read back from those chunks, so a retried attempt neither loses nor doubles a ticket.
 */
import { Context } from '@temporalio/activity';
import { describeIssuePath, ResponseShapeError, ResponseTooLargeError } from '../../clients/httpCore.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { planTicketMessages, ticketConversationId } from '../../mapping/tickets.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ChunkRef, EntityExportResult } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { erasureFilter } from '../erasure/erasureList.js';
import {
  type EntityManifest,
  type RejectedConversation,
  readChunk,
  writeChunk,
  writeManifest,
} from '../manifests.js';
import type { OnQueue } from '../queues.js';

/** Passes over the search before the export settles for what it has (each finds fewer). */
const MAX_PASSES = 4;
const PAGE_SIZE = 50;

interface TicketCheckpoint {
  pass: number;
  cursor?: string;
  chunks: number;
  /** The current pass found a ticket not written before. */
  foundInPass: boolean;
}

/** Whether a ticket has anything for the rehosting child: attachments or inline images. */
export function ticketHasAttachments(ticket: Ticket): boolean {
  return planTicketMessages(ticket, { activityParts: 'note', timestampLine: false }).some(
    (message) => message.attachments.length > 0,
  );
}

export const ticketExportQueue = taskQueues.intercom;

export function createTicketExportActivities(deps: ActivityDeps) {
  /** Ticket types (with their attributes, archived ones too) and ticket states, one chunk each. */
  async function exportTicketTypes({ input }: { input: MigrationInput }): Promise<EntityExportResult[]> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const [types, states] = await Promise.all([intercom.ticketTypes(), intercom.ticketStates()]);
    const results: EntityExportResult[] = [];
    for (const [entity, records] of [
      ['ticketTypes', types],
      ['ticketStates', states],
    ] as const) {
      const dir = blobLayout.entityDir(input.account, entity);
      const chunk = await writeChunk(store, blobLayout.chunk(dir, 1), records);
      const manifestKey = await writeManifest(store, dir, {
        entity,
        count: records.length,
        chunks: [chunk],
        complete: true,
        exportedAt: new Date().toISOString(),
      });
      results.push({ entity, count: records.length, chunks: 1, manifestKey });
    }
    return results;
  }

  async function exportTickets({ input }: { input: MigrationInput }): Promise<EntityExportResult> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const dir = blobLayout.entityDir(input.account, 'tickets');
    const limit = input.import.limit;
    // An erased person's tickets stay out of a re-run's export (activities/erasure/erasureList.ts).
    const erased = await erasureFilter(store, input.account);
    const saved = Context.current().info.heartbeatDetails as TicketCheckpoint | undefined;
    let checkpoint: TicketCheckpoint = saved
      ? structuredClone(saved)
      : { pass: 1, chunks: 0, foundInPass: false };
    let manifest: EntityManifest = {
      entity: 'tickets',
      count: 0,
      chunks: [],
      complete: false,
      exportedAt: new Date().toISOString(),
      truncated: [],
      rejected: [],
    };
    const seen = new Set<string>();
    if (checkpoint.chunks > 0) {
      const partial = await getJson<EntityManifest>(store, blobLayout.manifestIn(dir));
      if (partial && partial.chunks.length >= checkpoint.chunks) {
        manifest = { ...partial, chunks: partial.chunks.slice(0, checkpoint.chunks) };
        for (const chunk of manifest.chunks) {
          for (const ticket of await readChunk<Ticket>(store, chunk.key)) seen.add(ticket.id);
        }
        for (const rejected of manifest.rejected ?? [])
          seen.add(rejected.conversationId.replace(/^ticket:/, ''));
      } else {
        checkpoint = { pass: 1, chunks: 0, foundInPass: false };
      }
    }
    const wanted = () => (limit > 0 ? limit - seen.size : Number.POSITIVE_INFINITY);
    const save = async (complete: boolean) => {
      manifest.count = manifest.chunks.reduce((sum, chunk) => sum + chunk.count, 0);
      manifest.complete = complete;
      manifest.exportedAt = new Date().toISOString();
      return writeManifest(store, dir, manifest);
    };

    passes: while (checkpoint.pass <= MAX_PASSES) {
      for await (const page of intercom.ticketPages(checkpoint.cursor, PAGE_SIZE)) {
        const freshItems = page.items.filter((item) => !seen.has(item.id));
        const fresh = freshItems.map((item) => item.id);
        const tickets: Ticket[] = [];
        for (const item of freshItems.slice(0, Math.max(0, wanted()))) {
          const id = item.id;
          seen.add(id);
          if (erased.erasedTicket(item)) {
            manifest.erased = (manifest.erased ?? 0) + 1;
            continue;
          }
          try {
            const ticket = await intercom.getTicket(id);
            // Its parts show whether an erased person wrote in it.
            if (erased.erasedTicket(ticket)) manifest.erased = (manifest.erased ?? 0) + 1;
            else tickets.push(ticket);
          } catch (error) {
            if (error instanceof HttpFailure && error.status === 404) continue;
            if (!(error instanceof ResponseShapeError || error instanceof ResponseTooLargeError)) throw error;
            // Set aside like a malformed conversation: the report lists it, the export goes on.
            const reason =
              error instanceof ResponseTooLargeError
                ? `response too large (${error.bytes} bytes)`
                : `unexpected shape: ${error.issues
                    .slice(0, 3)
                    .map((issue) => `${describeIssuePath(issue.path)}: ${issue.message}`)
                    .join('; ')}`;
            const rejected: RejectedConversation = { conversationId: `ticket:${id}`, reason };
            manifest.rejected = [...(manifest.rejected ?? []), rejected];
            Context.current().log.warn('ticket set aside instead of exported', { ticketId: id });
          }
        }
        if (fresh.length > 0) checkpoint.foundInPass = true;
        if (tickets.length > 0) {
          const ref: ChunkRef = await writeChunk(
            store,
            blobLayout.chunk(dir, manifest.chunks.length + 1),
            tickets,
          );
          ref.attachments = tickets.some(ticketHasAttachments);
          manifest.chunks.push(ref);
          for (const ticket of tickets) {
            const returned = ticket.ticket_parts?.ticket_parts?.length ?? 0;
            const total = ticket.ticket_parts?.total_count ?? returned;
            if (total > returned) {
              manifest.truncated?.push({
                conversationId: ticketConversationId(ticket.id),
                returnedParts: returned,
                totalParts: total,
              });
            }
          }
        }
        checkpoint.chunks = manifest.chunks.length;
        checkpoint.cursor = page.next;
        await save(false);
        Context.current().heartbeat(structuredClone(checkpoint));
        if (wanted() <= 0) break passes;
      }
      // A pass that found nothing new has seen every ticket the ordering holds.
      if (!checkpoint.foundInPass) break;
      checkpoint = { pass: checkpoint.pass + 1, chunks: manifest.chunks.length, foundInPass: false };
      Context.current().heartbeat(structuredClone(checkpoint));
    }
    const manifestKey = await save(true);
    return {
      entity: 'tickets',
      count: manifest.count,
      chunks: manifest.chunks.length,
      manifestKey,
      truncated: manifest.truncated?.length,
      rejected: manifest.rejected?.length,
    };
  }

  return { exportTicketTypes, exportTickets };
}

export type TicketExportActivities = OnQueue<
  typeof ticketExportQueue,
  ReturnType<typeof createTicketExportActivities>
>;
