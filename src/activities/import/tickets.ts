/**
 * One Intercom ticket into Chatwoot (chatwoot-writes), exactly once, like a conversation: the
 * conversation is looked up by its `intercom_ticket_id` attribute where an attempt may have created
 * it, messages by their source id before they are posted, and the link notes by theirs. Where it may
 * exist: a create marker is written before each create (createMarker.ts, under the ticket's
 * `ticket-<id>`), a retried attempt looks regardless, and tickets imported by a version before those
 * markers are covered by one question per run: did any conversation have an `intercom_ticket_id`
 * before the run (runStartProbes.ts)? Only on an account where none did does a missing marker prove
 * that no ticket conversation exists.
 *
 * - The ticket's contact: its first Intercom contact (merged by e-mail as the contacts were), found
 *   by identifier like a conversation's. A ticket without a contact (trackers, most back-office
 *   tickets) goes on one shared contact, "Intercom tickets without a contact": Chatwoot needs a
 *   contact for every conversation, and the archive inbox is an API channel, so that contact is never
 *   told anything. Back-office tickets about a customer stay on that customer, where agents look.
 * - A customer ticket Intercom also serves as a conversation (the same id and creation time: a
 *   conversation converted in place) is not imported twice: its messages that are missing and its
 *   labels are added to that conversation, whose status stays the conversation import's. It is
 *   looked for only when the conversation import may have created that id (its create marker or sync
 *   record, createMarker.ts, which every version writes; tickets are imported after conversations).
 * - Created `pending` with no assignee (no one is notified while history is written), with its team
 *   and its first message (ConversationsController#create runs Messages::MessageBuilder on
 *   params[:message] in the same transaction), then labels and assignee, and the status last, as
 *   conversations are (./chatwootWrites.ts explains why); in a batched import those three go by
 *   POST /bulk_actions with other tickets' (ticketState.ts).
 * - Links both ways: the ticket's conversation carries `intercom_ticket_id` and the Intercom ids of
 *   its linked conversations; each linked conversation found in Chatwoot gets one private note
 *   `ticket-link:<ticket id>` naming the conversation the ticket became, and the ticket's
 *   conversation one note `ticket-links:<ticket id>` naming the Chatwoot conversations it links to.
 */
import { Context, sleep } from '@temporalio/activity';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { formCarries } from '../../clients/chatwoot/conversationForm.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Contact } from '../../clients/intercom/schemas.js';
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { contactIdentifierForms, contactPayload } from '../../mapping/contacts.js';
import { isoUtc } from '../../mapping/text.js';
import {
  linkedConversationIds,
  planTicketMessages,
  ticketAdditionalAttributes,
  ticketConversationId,
  ticketCustomAttributes,
  ticketLinkNote,
  ticketLinkSourceId,
} from '../../mapping/tickets.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { readAttachmentIndex } from '../attachments/rehost.js';
import type { ActivityDeps } from '../deps.js';
import { readChunk } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import type { MigrationMapping } from '../setup/chatwootWrites.js';
import { findContactByIdentifiers, type MergePlan } from './chatwootWrites.js';
import { markCreating, mayAlreadyExist } from './createMarker.js';
import { legacyIdentifiersPossible, ticketConversationsPossible } from './runStartProbes.js';
import { applyTicketFinalState, type TicketTarget, ticketTeamId } from './ticketState.js';

export interface TicketImportArgs {
  input: MigrationInput;
  ticketId: string;
  chunkKey: string;
  /**
   * A ticket's unfinished conversation leaves its labels, status and assignee to POST /bulk_actions
   * (ticketState.ts): the ticket import workflow's patch import-tickets-batched.
   */
  batchFinalState?: boolean;
}

export interface TicketImportResult {
  ticketId: string;
  chatwootConversationId: number;
  created: boolean;
  /** The ticket was the conversation of the same id: its messages joined that conversation. */
  sameAsConversation: boolean;
  messagesPosted: number;
  messagesAlreadyThere: number;
  attachmentsUploaded: number;
  /** Linked Intercom conversations found in Chatwoot (and noted), of those the ticket lists. */
  linksNoted: number;
  linksMissing: number;
  /** Its labels, status or assignee wait for applyTicketFinalStates (a final-state blob written). */
  finalStatePending?: boolean;
}

/** The Intercom id of the one contact that holds the tickets without a contact. */
export const TICKETS_WITHOUT_CONTACT_ID = 'tickets-without-contact';
const TICKETS_WITHOUT_CONTACT_NAME = 'Intercom tickets without a contact';

/** The note on the ticket's conversation listing the Chatwoot conversations it links to. */
export const ticketLinksSourceId = (ticketId: string) => `ticket-links:${ticketId}`;

export const ticketImportQueue = taskQueues.chatwoot;

function isRetryable(error: unknown): boolean {
  return error instanceof HttpFailure && error.retryable;
}

export function createTicketImportActivities(deps: ActivityDeps) {
  const cachedJson = <T>(input: MigrationInput, key: string): Promise<T | undefined> => {
    const run = deps.runCache(input);
    return run.cached(run.json, key, () => getJson<T>(deps.store(input), key)) as Promise<T | undefined>;
  };
  const cachedTickets = (input: MigrationInput, key: string): Promise<Ticket[]> => {
    const run = deps.runCache(input);
    return run.cached(run.json, `tickets:${key}`, () => readChunk<Ticket>(deps.store(input), key)) as Promise<
      Ticket[]
    >;
  };

  /** The Chatwoot contact of a ticket; see the header for the ticket without one. */
  async function resolveContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    ticket: Ticket,
  ): Promise<number> {
    const reference = ticket.contacts?.contacts?.[0];
    const intercomId = reference?.id ?? TICKETS_WITHOUT_CONTACT_ID;
    const plan = await cachedJson<MergePlan>(
      input,
      blobLayout.mergePlanIn(blobLayout.entityDir(input.account, 'contacts')),
    );
    const canonicalId = plan?.mergedInto[intercomId] ?? intercomId;
    const cacheKey = `intercom:${canonicalId}`;
    const run = deps.runCache(input);
    const known = run.contactIds.get(cacheKey);
    if (known !== undefined) return known;
    // The external id the reference carries; a merged contact's canonical one is in the plan.
    const externalId = canonicalId === intercomId ? reference?.external_id : plan?.identifiers?.[canonicalId];
    return run.sharedContact(cacheKey, () =>
      createOrFindContact(input, chatwoot, ticket, { canonicalId, cacheKey, externalId }),
    );
  }

  /** A ticket's contact not in the run's cache: created, or found where it may exist already. */
  async function createOrFindContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    ticket: Ticket,
    {
      canonicalId,
      cacheKey,
      externalId,
    }: { canonicalId: string; cacheKey: string; externalId?: string | null },
  ): Promise<number> {
    const reference = ticket.contacts?.contacts?.[0];
    const forms = contactIdentifierForms({ id: canonicalId, external_id: externalId });
    // Merged into another contact by e-mail when the contacts were imported.
    const aliasOf = async () =>
      (
        await getJson<{ chatwootId: number }>(
          deps.store(input),
          blobLayout.contactAlias(input.account, canonicalId),
        )
      )?.chatwootId;
    const lookup = async () => (await findContactByIdentifiers(chatwoot, forms))?.id ?? (await aliasOf());
    // Created first, as the contacts step does (chatwootWrites.ts findOrCreateContact): the contacts
    // step or another ticket may have created it, and then its identifier answers 422. Looked up first
    // only where an earlier import may hold it under `intercom:<id>` (runStartProbes.ts).
    const legacyPossible = forms.length > 1 && (await legacyIdentifiersPossible(deps, input, chatwoot));
    let id = legacyPossible ? await lookup() : await aliasOf();
    if (id === undefined) {
      const placeholder: Contact = {
        id: canonicalId,
        external_id: externalId ?? null,
        role: 'user',
        name: reference ? undefined : TICKETS_WITHOUT_CONTACT_NAME,
        created_at: ticket.created_at,
        updated_at: ticket.updated_at ?? ticket.created_at,
      };
      try {
        id = (await chatwoot.createContact(contactPayload(placeholder))).id;
      } catch (error) {
        // Created before (422 taken), or by another ticket at the same time, or maybe by a 5xx'd create.
        if (!(error instanceof HttpFailure) || (error.status !== 422 && !error.retryable)) throw error;
        id = await lookup();
        if (id === undefined) throw error;
      }
    }
    deps.runCache(input).contactIds.set(cacheKey, id);
    return id;
  }

  /** The customer ticket's own conversation, when Intercom serves the ticket as a conversation too. */
  async function sameConversation(chatwoot: ChatwootClient, ticket: Ticket) {
    const found = await chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', ticket.id);
    return found.find((c) => c.custom_attributes?.intercom_created_at === isoUtc(ticket.created_at));
  }

  async function sourceIdsOf(chatwoot: ChatwootClient, conversationId: number): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const page of chatwoot.messagesAfter(conversationId)) {
      for (const message of page) if (message.source_id) ids.add(message.source_id);
    }
    return ids;
  }

  async function importTicket(args: TicketImportArgs): Promise<TicketImportResult> {
    const context = Context.current();
    const keepAlive = setInterval(() => context.heartbeat('importing'), 1000);
    try {
      return await importTicketAttempt(args, context);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function importTicketAttempt(args: TicketImportArgs, context: Context): Promise<TicketImportResult> {
    const { input, ticketId, chunkKey } = args;
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const ticket = (await cachedTickets(input, chunkKey)).find((t) => t.id === ticketId);
    if (!ticket) {
      throw Object.assign(new Error(`ticket ${ticketId} is not in ${chunkKey}`), { name: 'InvalidData' });
    }
    const mapping = await cachedJson<MigrationMapping>(input, blobLayout.mapping(input.account));
    if (!mapping) {
      throw Object.assign(new Error('the mapping step has not run: no mapping.json'), {
        name: 'InvalidData',
      });
    }
    const attachmentIndex = await readAttachmentIndex(store, input.account, ticketConversationId(ticket.id));
    const stored = attachmentIndex?.stored ?? [];
    const copied = new Set(stored.map((s) => `${s.messageSourceId}#${s.index}`));
    const planned = planTicketMessages(ticket, {
      activityParts: input.import.activityParts,
      adminNames: mapping.intercomNames?.admins,
      teamNames: mapping.intercomNames?.teams,
      timestampLine: input.import.timestampLine,
      attachmentCopied: (messageSourceId, index) => copied.has(`${messageSourceId}#${index}`),
    });

    const messageBody = async (message: (typeof planned)[number]) => {
      const files = stored.filter((s) => s.messageSourceId === message.sourceId);
      return {
        content: message.content,
        message_type: message.messageType,
        private: message.private,
        source_id: message.sourceId,
        content_attributes: {
          external_created_at: message.externalCreatedAt,
          intercom_author: { type: message.authorType, id: message.authorId, name: message.authorName },
          intercom_ticket_id: ticket.id,
        },
        attachments: files.length
          ? await Promise.all(
              files.map(async (file) => ({
                fileName: file.fileName,
                contentType: file.contentType,
                data: (await store.get(file.key)) ?? Buffer.alloc(0),
              })),
            )
          : undefined,
      };
    };

    const byTicketId = async () =>
      (await chatwoot.filterConversationsByCustomAttribute('intercom_ticket_id', ticket.id))[0];
    let target: TicketTarget | undefined;
    let sameAsConversation = false;
    // Looked up where an attempt may have created it: this version's create marker (or a retry), or
    // any ticket conversation in the account before the run (an earlier version's, without markers).
    const markerId = ticketConversationId(ticket.id);
    const mayExist =
      (await ticketConversationsPossible(deps, input, chatwoot)) ||
      (await mayAlreadyExist(deps, input, markerId, context.info.attempt)) !== undefined;
    const existing = mayExist ? await byTicketId() : undefined;
    if (existing) target = { id: existing.id, created: false, found: existing };
    // Only a conversation the conversation import marked (or synced) can be the ticket's own.
    if (!target && (await mayAlreadyExist(deps, input, ticket.id, 1))) {
      const same = await sameConversation(chatwoot, ticket);
      if (same) {
        sameAsConversation = true;
        target = { id: same.id, created: false, found: same };
      }
    }
    const customAttributes = ticketCustomAttributes(ticket);
    const additionalAttributes = ticketAdditionalAttributes(ticket);
    const first = planned[0];
    const firstFiles = first ? stored.filter((s) => s.messageSourceId === first.sourceId) : [];
    // Files make the create a form, which stores numbers as text and cannot carry a null
    // (conversationForm.ts); and only the administrator's messages can ride in its create (the token
    // that sends it writes them).
    const foldFirst =
      first !== undefined &&
      !(first.messageType === 'outgoing' && !first.private && deps.hasAgentToken(first.authorEmail)) &&
      (firstFiles.length === 0 ||
        (formCarries('custom_attributes', customAttributes) &&
          formCarries('additional_attributes', additionalAttributes)));
    let firstInCreate = false;
    // The team rides in the create, as a conversation's does (chatwootWrites.ts: allow_auto_assign is
    // off on the import's teams, so AssignmentHandler picks no one).
    const teamId = ticketTeamId(mapping, ticket);
    if (!target) {
      const contactId = await resolveContact(input, chatwoot, ticket);
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      await markCreating(deps, input, markerId);
      try {
        const created = await chatwoot.createConversation({
          inbox_id: mapping.inboxId,
          contact_id: contactId,
          // Pending until every message is in, as for conversations: nothing alerts anyone meanwhile.
          status: 'pending',
          ...(teamId === undefined ? {} : { team_id: teamId }),
          custom_attributes: customAttributes,
          additional_attributes: additionalAttributes,
          ...(foldFirst && first ? { message: await messageBody(first) } : {}),
        });
        target = { id: created.id, created: true, createdTeamId: teamId };
        firstInCreate = foldFirst;
      } catch (error) {
        const again = isRetryable(error) ? await byTicketId() : undefined;
        if (!again) throw error;
        target = { id: again.id, created: false, found: again };
      }
    }

    const already = target.created ? new Set<string>() : await sourceIdsOf(chatwoot, target.id);
    const result: TicketImportResult = {
      ticketId,
      chatwootConversationId: target.id,
      created: target.created,
      sameAsConversation,
      messagesPosted: 0,
      messagesAlreadyThere: 0,
      attachmentsUploaded: 0,
      linksNoted: 0,
      linksMissing: 0,
    };
    const postedAt: number[] = [];
    for (const message of planned) {
      if (already.has(message.sourceId)) {
        result.messagesAlreadyThere++;
        continue;
      }
      const files = stored.filter((s) => s.messageSourceId === message.sourceId);
      if (message === first && firstInCreate) {
        // Posted by the create above.
        postedAt.push(Date.now());
        result.messagesPosted++;
        result.attachmentsUploaded += files.length;
        continue;
      }
      await respectFloodGuard(postedAt, input.import.messagesPerMinute);
      const author =
        message.messageType === 'outgoing' && !message.private && deps.hasAgentToken(message.authorEmail)
          ? deps.chatwoot(input, message.authorEmail ?? undefined)
          : chatwoot;
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      await author.createMessage(target.id, await messageBody(message));
      postedAt.push(Date.now());
      result.messagesPosted++;
      result.attachmentsUploaded += files.length;
      context.heartbeat(result.messagesPosted);
    }

    await linkConversations(chatwoot, ticket, target, already, result);

    const pending = await applyTicketFinalState(deps, {
      input,
      chatwoot,
      mapping,
      ticket,
      target,
      sameAsConversation,
      batch: args.batchFinalState,
    });
    if (pending) result.finalStatePending = true;
    return result;
  }

  /** The notes that link the ticket's conversation and its linked conversations, both ways. */
  async function linkConversations(
    chatwoot: ChatwootClient,
    ticket: Ticket,
    target: TicketTarget,
    onTicketConversation: Set<string>,
    result: TicketImportResult,
  ): Promise<void> {
    const linked = linkedConversationIds(ticket);
    if (linked.length === 0) return;
    const found: { intercomId: string; chatwootId?: number }[] = [];
    // All of them in one filter (OR): the filter compares lower-cased text, so the exact id is picked here.
    const matches = await chatwoot.filterConversationsByCustomAttributeValues(
      'intercom_conversation_id',
      linked,
    );
    for (const intercomId of linked) {
      const match = matches.find((c) => String(c.custom_attributes?.intercom_conversation_id) === intercomId);
      found.push({ intercomId, chatwootId: match?.id });
      if (!match || match.id === target.id) {
        if (!match) result.linksMissing++;
        continue;
      }
      result.linksNoted++;
      const noteId = ticketLinkSourceId(ticket.id);
      // A link note names the ticket's conversation, so none can predate one this attempt created
      // (an earlier attempt's would have been found by byTicketId): only a found one is looked at.
      if (!target.created && (await sourceIdsOf(chatwoot, match.id)).has(noteId)) continue;
      await chatwoot.createMessage(match.id, {
        content: ticketLinkNote(ticket, target.id),
        message_type: 'outgoing',
        private: true,
        source_id: noteId,
        content_attributes: { intercom_ticket_id: ticket.id },
      });
    }
    const listId = ticketLinksSourceId(ticket.id);
    if (onTicketConversation.has(listId)) return;
    const lines = found.map(({ intercomId, chatwootId }) =>
      chatwootId === undefined
        ? `- Intercom conversation ${intercomId}: not in Chatwoot (not migrated, or deleted in Intercom)`
        : `- Intercom conversation ${intercomId}: conversation #${chatwootId}`,
    );
    await chatwoot.createMessage(target.id, {
      content: ['Conversations linked to this Intercom ticket:', '', ...lines].join('\n'),
      message_type: 'outgoing',
      private: true,
      source_id: listId,
      content_attributes: { intercom_ticket_id: ticket.id },
    });
  }

  return { importTicket };
}

/** Keeps a conversation under Chatwoot's per-conversation message rate, heartbeating while it waits. */
async function respectFloodGuard(postedAt: number[], perMinute: number): Promise<void> {
  if (postedAt.length < perMinute) return;
  const wait = (postedAt[postedAt.length - perMinute] as number) + 60_000 - Date.now();
  if (wait > 0) {
    Context.current().heartbeat('waiting for the flood guard');
    await sleep(wait);
  }
}

export type TicketImportActivities = OnQueue<
  typeof ticketImportQueue,
  ReturnType<typeof createTicketImportActivities>
>;
