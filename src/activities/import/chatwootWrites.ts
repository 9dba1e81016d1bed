/**
 * Contacts and conversations into Chatwoot, exactly once. Chatwoot has no idempotency key, so every
 * write is preceded by a look-up of what the project stamped on it: contact `identifier`, the
 * conversation's `intercom_conversation_id` attribute, each message's `source_id` (the Intercom part
 * id). A retried, resumed or repeated import therefore only writes what is missing.
 */
import { Context, sleep } from '@temporalio/activity';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { ChatwootPolicyRefusal } from '../../clients/chatwoot/refusals.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Contact, Conversation } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import {
  contactPayload,
  conversationAdditionalAttributes,
  conversationCustomAttributes,
  conversationLabels,
  mapConversationStatus,
  type PlannedMessage,
  planMessages,
} from '../../mapping/index.js';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { readAttachmentIndex, type StoredAttachment } from '../attachments/rehost.js';
import type { ContactImportResult, ConversationImportArgs, ConversationImportResult } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { readChunk } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { FROM_INTERCOM_LABEL, type MigrationMapping } from '../setup/chatwootWrites.js';

/** Contacts of one chunk written at once (the import runs two chunks at a time). */
const CONTACTS_AT_ONCE = 8;

export interface MergePlan {
  /** Intercom contact id -> the id of the contact it is merged into (same e-mail, other case). */
  mergedInto: Record<string, string>;
  merges: { email: string; canonicalId: string; mergedIds: string[] }[];
}

export const identifierOf = (intercomContactId: string) => `intercom:${intercomContactId}`;

function isStatus(error: unknown, status: number, text?: RegExp): boolean {
  return error instanceof HttpFailure && error.status === status && (!text || text.test(error.message));
}

export const importQueue = taskQueues.chatwoot;

export function createImportActivities(deps: ActivityDeps) {
  // Caches of the migration run (deps.runCache): keyed by blob store, Chatwoot, account and run.
  const contactIds = (input: MigrationInput) => deps.runCache(input).contactIds;
  const cachedJson = <T>(input: MigrationInput, key: string): Promise<T | undefined> => {
    const run = deps.runCache(input);
    return run.cached(run.json, key, () => getJson<T>(deps.store(input), key)) as Promise<T | undefined>;
  };
  const cachedChunk = (input: MigrationInput, key: string): Promise<Conversation[]> => {
    const run = deps.runCache(input);
    return run.cached(run.chunks, key, () => readChunk<Conversation>(deps.store(input), key));
  };

  /** Finds or creates one contact, and remembers its Chatwoot id for the conversations that follow. */
  async function ensureContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    contact: Contact,
  ): Promise<{ id: number; created: boolean; mergedByEmail: boolean }> {
    const outcome = await findOrCreateContact(input, chatwoot, contact);
    contactIds(input).set(identifierOf(contact.id), outcome.id);
    return outcome;
  }

  /** Looks up before creating and after any 5xx. */
  async function findOrCreateContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    contact: Contact,
  ): Promise<{ id: number; created: boolean; mergedByEmail: boolean }> {
    const payload = contactPayload(contact);
    const found = await chatwoot.filterContacts('identifier', payload.identifier);
    if (found[0]) return { id: found[0].id, created: false, mergedByEmail: false };
    const alias = await getJson<{ chatwootId: number }>(
      deps.store(input),
      blobLayout.contactAlias(input.account, contact.id),
    );
    if (alias) return { id: alias.chatwootId, created: false, mergedByEmail: true };
    let attempt = { ...payload };
    for (let tries = 0; tries < 4; tries++) {
      try {
        const created = await chatwoot.createContact(attempt);
        return { id: created.id, created: true, mergedByEmail: false };
      } catch (error) {
        if (isStatus(error, 422, /email/i) && attempt.email) {
          // Same e-mail in another case, or a contact the live widget made during the parallel run.
          const owner = (await chatwoot.filterContacts('email', attempt.email))[0];
          if (owner) {
            await putJson(deps.store(input), blobLayout.contactAlias(input.account, contact.id), {
              chatwootId: owner.id,
            });
            return { id: owner.id, created: false, mergedByEmail: true };
          }
          throw error;
        }
        if (isStatus(error, 422, /phone/i) && attempt.phone_number) {
          // Phones are unique in Chatwoot; keep the number on the contact without claiming it.
          attempt = {
            ...attempt,
            phone_number: undefined,
            additional_attributes: { ...attempt.additional_attributes, original_phone: attempt.phone_number },
          };
          continue;
        }
        if (error instanceof HttpFailure && error.retryable) {
          // A 5xx may hide a committed create (concurrent duplicates give 500): look before retrying.
          const again = await chatwoot.filterContacts('identifier', payload.identifier);
          if (again[0]) return { id: again[0].id, created: false, mergedByEmail: false };
          await sleep(500 * (tries + 1));
          continue;
        }
        throw error;
      }
    }
    throw new HttpFailure(
      `could not create contact ${contact.id} after several attempts`,
      'chatwoot',
      undefined,
      true,
    );
  }

  async function importContacts(
    { input }: { input: MigrationInput },
    chunkKey: string,
  ): Promise<ContactImportResult> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const plan = (await getJson<MergePlan>(store, blobLayout.mergePlanIn(blobLayout.folderOf(chunkKey)))) ?? {
      mergedInto: {},
      merges: [],
    };
    const contacts = await readChunk<Contact>(store, chunkKey);
    const result: ContactImportResult = { created: 0, existing: 0, merged: 0, failed: 0 };
    // Contacts are independent of each other (merges are planned beforehand), so several go at once:
    // one at a time, a chunk could use only a sliver of the request budget. The heartbeat carries the
    // index below which every contact is done; a resumed attempt redoes at most the ones in flight,
    // which ensureContact finds instead of creating again.
    const start = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    const done: boolean[] = [];
    let watermark = start;
    let next = start;
    let stopped = false;
    const lane = async () => {
      while (!stopped && next < contacts.length) {
        const index = next++;
        const contact = contacts[index];
        if (plan.mergedInto[contact.id]) {
          result.merged++;
        } else {
          const outcome = await ensureContact(input, chatwoot, contact);
          if (outcome.created) result.created++;
          else if (outcome.mergedByEmail) result.merged++;
          else result.existing++;
        }
        done[index] = true;
        while (done[watermark]) watermark++;
        Context.current().heartbeat(watermark);
      }
    };
    const lanes = await Promise.allSettled(
      Array.from({ length: CONTACTS_AT_ONCE }, () =>
        lane().catch((error: unknown) => {
          stopped = true;
          throw error;
        }),
      ),
    );
    const failure = lanes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return result;
  }

  /** The conversation's contact in Chatwoot; `remembered` when its id came from this worker's cache. */
  async function resolveContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    conversation: Conversation,
  ): Promise<{ id: number; remembered: boolean; cacheKey: string }> {
    const intercomId =
      conversation.contacts?.contacts[0]?.id ??
      conversation.source.author.id ??
      `conversation-${conversation.id}`;
    const plan = await cachedJson<MergePlan>(
      input,
      blobLayout.mergePlanIn(blobLayout.entityDir(input.account, 'contacts')),
    );
    const canonicalId = plan?.mergedInto[intercomId] ?? intercomId;
    const cacheKey = identifierOf(canonicalId);
    const known = contactIds(input).get(cacheKey);
    if (known !== undefined) return { id: known, remembered: true, cacheKey };
    const found = await chatwoot.filterContacts('identifier', identifierOf(canonicalId));
    if (found[0]) {
      contactIds(input).set(cacheKey, found[0].id);
      return { id: found[0].id, remembered: false, cacheKey };
    }
    // A contact Intercom no longer lists (deleted, or new since the export): make one from the author.
    const author = conversation.source.author;
    const placeholder: Contact = {
      id: canonicalId,
      role: author.type === 'lead' ? 'lead' : 'user',
      name: author.name ?? undefined,
      email: author.email ?? undefined,
      created_at: conversation.created_at,
      updated_at: conversation.updated_at,
    };
    return { id: (await ensureContact(input, chatwoot, placeholder)).id, remembered: false, cacheKey };
  }

  async function findOrCreateConversation(
    chatwoot: ChatwootClient,
    conversation: Conversation,
    create: () => Promise<{ id: number }>,
  ): Promise<{ id: number; created: boolean }> {
    const lookup = async () =>
      (await chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', conversation.id))[0];
    const existing = await lookup();
    if (existing) return { id: existing.id, created: false };
    try {
      return { id: (await create()).id, created: true };
    } catch (error) {
      if (error instanceof HttpFailure && error.retryable) {
        const again = await lookup();
        if (again) return { id: again.id, created: false };
      }
      throw error;
    }
  }

  async function attachmentFiles(store: BlobStore, stored: StoredAttachment[]) {
    return Promise.all(
      stored.map(async (attachment) => ({
        fileName: attachment.fileName,
        contentType: attachment.contentType,
        data: (await store.get(attachment.key)) ?? Buffer.alloc(0),
      })),
    );
  }

  /**
   * Heartbeats for as long as the attempt lives, not only after each message: a slow step (a throttled
   * or hung request takes minutes with the client's retries) must not look like a dead worker, or
   * Temporal starts the next attempt while this one still posts the same messages.
   */
  async function importConversation(args: ConversationImportArgs): Promise<ConversationImportResult> {
    const context = Context.current();
    const keepAlive = setInterval(() => context.heartbeat('importing'), KEEP_ALIVE_HEARTBEAT_MS);
    try {
      return await importConversationAttempt(args, context);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function importConversationAttempt(
    args: ConversationImportArgs,
    context: Context,
  ): Promise<ConversationImportResult> {
    const { input, conversationId, chunkKey } = args;
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const conversation = (await cachedChunk(input, chunkKey)).find((c) => c.id === conversationId);
    if (!conversation) {
      throw Object.assign(new Error(`conversation ${conversationId} is not in ${chunkKey}`), {
        name: 'InvalidData',
      });
    }
    const mapping = await cachedJson<MigrationMapping>(input, blobLayout.mapping(input.account));
    if (!mapping)
      throw Object.assign(new Error('the mapping step has not run: no mapping.json'), {
        name: 'InvalidData',
      });
    const planned = planMessages(conversation, {
      activityParts: input.import.activityParts,
      timestampLine: input.import.timestampLine,
    });
    const attachmentIndex = await readAttachmentIndex(store, input.account, conversation.id);
    const storedFor = (message: PlannedMessage) =>
      (attachmentIndex?.stored ?? []).filter((s) => s.messageSourceId === message.sourceId);

    let contact = await resolveContact(input, chatwoot, conversation);
    const createFor = (contactId: number) => {
      stopIfGivenUp(context);
      return chatwoot.createConversation({
        inbox_id: mapping.inboxId,
        contact_id: contactId,
        // Pending until every message is in: an incoming message would reopen a resolved conversation.
        status: 'pending',
        custom_attributes: conversationCustomAttributes(conversation),
        additional_attributes: conversationAdditionalAttributes(conversation),
      });
    };
    const target = await findOrCreateConversation(chatwoot, conversation, async () => {
      try {
        return await createFor(contact.id);
      } catch (error) {
        // A remembered contact may have been deleted or merged in Chatwoot since: look it up afresh, once.
        if (!contact.remembered || !(error instanceof HttpFailure) || error.retryable) throw error;
        contactIds(input).delete(contact.cacheKey);
        contact = await resolveContact(input, chatwoot, conversation);
        return createFor(contact.id);
      }
    });

    const already = new Set<string>();
    if (!target.created) {
      for await (const page of chatwoot.messagesAfter(target.id)) {
        for (const message of page) if (message.source_id) already.add(message.source_id);
      }
    }

    const result: ConversationImportResult = {
      conversationId,
      chatwootConversationId: target.id,
      created: target.created,
      messagesPosted: 0,
      messagesAlreadyThere: 0,
      attachmentsUploaded: 0,
      attachmentsMissing: 0,
    };
    const postedAt: number[] = [];
    for (const message of planned) {
      if (already.has(message.sourceId)) {
        result.messagesAlreadyThere++;
        continue;
      }
      await respectFloodGuard(postedAt, input.import.messagesPerMinute);
      const stored = storedFor(message);
      result.attachmentsMissing += message.attachments.length - stored.length;
      const author =
        message.messageType === 'outgoing' && !message.private && deps.hasAgentToken(message.authorEmail)
          ? deps.chatwoot(input, message.authorEmail ?? undefined)
          : chatwoot;
      stopIfGivenUp(context);
      const posting = author.createMessage(target.id, {
        content: message.content,
        message_type: message.messageType,
        private: message.private,
        source_id: message.sourceId,
        content_attributes: {
          external_created_at: message.externalCreatedAt,
          intercom_author: { type: message.authorType, id: message.authorId, name: message.authorName },
        },
        attachments: stored.length ? await attachmentFiles(store, stored) : undefined,
      });
      await posting.catch((error: unknown) => {
        // An agent's valid token refused by ConversationPolicy: name the inbox to add the agent to.
        const inbox = { id: mapping.inboxId, name: input.chatwoot.inboxName };
        throw error instanceof ChatwootPolicyRefusal ? error.inInbox(inbox) : error;
      });
      postedAt.push(Date.now());
      result.messagesPosted++;
      result.attachmentsUploaded += stored.length;
      context.heartbeat(result.messagesPosted);
    }

    const labels = conversationLabels((conversation.tags?.tags ?? []).map((tag) => tag.name));
    await chatwoot.setLabels(
      target.id,
      labels.includes(FROM_INTERCOM_LABEL) ? labels : [...labels, FROM_INTERCOM_LABEL],
    );
    const teamId = conversation.team_assignee_id ? mapping.teams[conversation.team_assignee_id] : undefined;
    const assigneeId = conversation.admin_assignee_id
      ? mapping.agents[conversation.admin_assignee_id]
      : undefined;
    // No agent is alerted about history (app/listeners/notification_listener.rb): the conversation
    // was created pending (no conversation_creation for the inbox's members) and unassigned, so its
    // messages notified no assignee or participant (NewMessageNotificationService); it is assigned
    // now, after the last message, while still pending (assignee_changed skips pending ones), and
    // its final status comes last, which notifies no one. Team first: Chatwoot drops an assignee
    // who is not in the conversation's team.
    if (teamId !== undefined) await chatwoot.assign(target.id, { team_id: teamId });
    if (assigneeId !== undefined) {
      // The listener runs in a background job that reads `pending?` when it runs, possibly after the
      // status below: an agent with a token assigns itself instead, which Chatwoot never notifies
      // (Conversation#self_assign?). AssignmentsController lets any member take an *unassigned*
      // conversation, which one created by this attempt is; a found one may already be assigned.
      const assigneeEmail = target.created ? mapping.agentEmails?.[assigneeId] : undefined;
      const assigner = assigneeEmail ? deps.chatwoot(input, assigneeEmail) : chatwoot;
      await assigner.assign(target.id, { assignee_id: assigneeId });
    }
    const status = mapConversationStatus(conversation.state);
    await chatwoot.toggleStatus(
      target.id,
      status,
      status === 'snoozed' && conversation.snoozed_until ? conversation.snoozed_until : undefined,
    );
    return result;
  }

  return { importContacts, importConversation };
}

/** Well under any heartbeat throttle interval, so every interval Temporal's worker sends one. */
const KEEP_ALIVE_HEARTBEAT_MS = 1000;

/**
 * An attempt Temporal has given up on (its heartbeat timed out while the worker could not reach the
 * server, or the workflow was cancelled) must not write again: its retry may already be running.
 */
function stopIfGivenUp(context: Context): void {
  if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
}

/** Keeps a conversation under Chatwoot's per-conversation message rate, heartbeating while it waits. */
async function respectFloodGuard(postedAt: number[], perMinute: number): Promise<void> {
  if (postedAt.length < perMinute) return;
  const windowStart = postedAt[postedAt.length - perMinute];
  const wait = windowStart + 60_000 - Date.now();
  if (wait > 0) {
    Context.current().heartbeat('waiting for the flood guard');
    await sleep(wait);
  }
}

export type ImportActivities = OnQueue<typeof importQueue, ReturnType<typeof createImportActivities>>;
