/**
 * Contacts and conversations into Chatwoot, exactly once. Chatwoot has no idempotency key, so what may
 * exist is found by what the project stamped on it: contact `identifier`, the conversation's
 * `intercom_conversation_id` attribute, each message's `source_id` (the Intercom part id). Looked up
 * only where it may exist: a contact after its create answers 422 (identifier is unique), a
 * conversation where its create marker, a retry or an earlier run says so (createMarker.ts,
 * archiveIndex.ts), what an earlier version wrote without markers by the run's questions
 * (runStartProbes.ts). A retried, resumed or repeated import therefore only writes what is missing.
 */
import { Context, sleep } from '@temporalio/activity';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { formCarries } from '../../clients/chatwoot/conversationForm.js';
import { ChatwootPolicyRefusal } from '../../clients/chatwoot/refusals.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Contact, Conversation } from '../../clients/intercom/schemas.js';
import { type SendPriority, withSendPriority } from '../../clients/sendPriority.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import type { ContactCompanyAttributes } from '../../mapping/contactNotes.js';
import {
  contactIdentifier,
  contactIdentifierForms,
  contactPayload,
  conversationAdditionalAttributes,
  conversationCustomAttributes,
  type PlannedMessage,
  planMessages,
} from '../../mapping/index.js';
import { syncedIntercomState } from '../../mapping/syncMerge.js';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { readAttachmentIndex, type StoredAttachment } from '../attachments/rehost.js';
import type { ContactImportResult, ConversationImportArgs, ConversationImportResult } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { readChunk } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import type { MigrationMapping } from '../setup/chatwootWrites.js';
import { findInArchive } from './archiveIndex.js';
import { createContactExtrasWriter } from './contactExtras.js';
import { createContactLabelBatch } from './contactLabels.js';
import { applyFinalState, type ConversationTarget } from './conversationState.js';
import { markCreating, mayAlreadyExist } from './createMarker.js';
import { mergedSurvivor } from './mergedContacts.js';
import { legacyIdentifiersPossible } from './runStartProbes.js';

/** Contacts of one chunk written at once (the import runs two chunks at a time). */
const CONTACTS_AT_ONCE = 8;

export interface MergePlan {
  /** Intercom contact id -> the id of the contact it is merged into (same e-mail, other case). */
  mergedInto: Record<string, string>;
  merges: { email: string; canonicalId: string; mergedIds: string[] }[];
  /**
   * The Chatwoot identifier of each canonical contact above that has an external id, since the
   * conversations of the contacts merged into it carry only their own. Absent from plans written
   * before identifiers were external ids: their contacts are all `intercom:<id>`.
   */
  identifiers?: Record<string, string>;
  /**
   * The external identifier of each contact merged away -> its canonical contact: a conversation whose
   * contact reference Intercom no longer lists (a lead merged into that user) finds it by external id.
   */
  mergedIdentifiers?: Record<string, string>;
}

/** The in-worker cache of Chatwoot contact ids is keyed by Intercom contact id, whatever the identifier. */
const contactCacheKey = (intercomContactId: string) => `intercom:${intercomContactId}`;

/**
 * The contact holding any of `forms` (the current identifier first, then the `intercom:<id>` of
 * imports before external ids), in one request. Chatwoot's filter compares LOWER(identifier), and
 * identifiers are case-sensitive and unique per account: only an exact one counts.
 */
export async function findContactByIdentifiers(
  chatwoot: ChatwootClient,
  forms: readonly string[],
): Promise<{ id: number; identifier?: string | null } | undefined> {
  const found =
    forms.length === 1
      ? await chatwoot.filterContacts('identifier', forms[0] as string)
      : await chatwoot.filterContactsByIdentifiers(forms);
  for (const form of forms) {
    const exact = found.find((contact) => contact.identifier === form);
    if (exact) return exact;
  }
  return undefined;
}

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

  /**
   * Finds or creates one contact, and remembers its Chatwoot id for the conversations that follow;
   * `companies` go into the create (contactExtras.ts companiesOf).
   */
  async function ensureContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    contact: Contact,
    companies: ContactCompanyAttributes = {},
  ): Promise<{ id: number; created: boolean; mergedByEmail: boolean }> {
    const outcome = await findOrCreateContact(input, chatwoot, contact, companies);
    contactIds(input).set(contactCacheKey(contact.id), outcome.id);
    return outcome;
  }

  /**
   * Creates first: the identifier is unique per account (Contact's uniqueness validation and index),
   * so a contact an earlier attempt or run created answers 422 "Identifier has already been taken",
   * and only then, or after a 5xx, is it looked up. The one exception: a contact with an external id
   * but no e-mail, which an import from before external ids may hold as `intercom:<id>` (H1): no
   * unique field would refuse its create, so it is looked up first under both forms, in accounts
   * where the run found such identifiers before its first create (runStartProbes.ts).
   */
  async function findOrCreateContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    contact: Contact,
    companies: ContactCompanyAttributes,
  ): Promise<{ id: number; created: boolean; mergedByEmail: boolean }> {
    const base = contactPayload(contact);
    const payload = { ...base, additional_attributes: { ...base.additional_attributes, ...companies } };
    // Under its external id, or under `intercom:<id>` from an import before the re-key step.
    const forms = contactIdentifierForms(contact);
    const lookUp = async () => {
      const found = await findContactByIdentifiers(chatwoot, forms);
      return found ? { id: found.id, created: false, mergedByEmail: false } : undefined;
    };
    const alias = await getJson<{ chatwootId: number }>(
      deps.store(input),
      blobLayout.contactAlias(input.account, contact.id),
    );
    if (alias) return { id: alias.chatwootId, created: false, mergedByEmail: true };
    // Asked before any of the run's contact creates, whichever contact comes first.
    const legacyPossible = await legacyIdentifiersPossible(deps, input, chatwoot);
    if (forms.length > 1 && !payload.email && legacyPossible) {
      const legacy = await lookUp();
      if (legacy) return legacy;
    }
    let attempt = { ...payload };
    for (let tries = 0; tries < 4; tries++) {
      try {
        const created = await chatwoot.createContact(attempt);
        return { id: created.id, created: true, mergedByEmail: false };
      } catch (error) {
        if (isStatus(error, 422, /identifier|email/i)) {
          // Ours already (an earlier attempt or run made it), under either identifier form.
          const existing = await lookUp();
          if (existing) return existing;
        }
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
          const again = await lookUp();
          if (again) return again;
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
    // Created contacts' labels go in bulk once the chunk's contacts are in (contactLabels.ts).
    const labelBatch = createContactLabelBatch(chatwoot);
    const extras = createContactExtrasWriter(deps, input, chatwoot, labelBatch);
    const result: ContactImportResult = { created: 0, existing: 0, merged: 0, failed: 0 };
    // Contacts are independent of each other (merges are planned beforehand), so several go at once:
    // one at a time, a chunk could use only a sliver of the request budget. The heartbeat carries the
    // index below which every contact is done; a resumed attempt redoes at most the ones in flight,
    // which ensureContact finds instead of creating again.
    const start = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    const done: boolean[] = [];
    let watermark = start;
    // Below the watermark, a contact whose labels an earlier attempt left to a batch it never
    // confirmed is done again (contactExtras.ts labelsUnconfirmed): found, and written per contact.
    const order: number[] = [];
    for (let index = 0; index < start; index++)
      if (await extras.labelsUnconfirmed(contacts[index])) order.push(index);
    for (let index = start; index < contacts.length; index++) order.push(index);
    let next = 0;
    let stopped = false;
    // Once every contact's labels are in the batch, it goes out while the last notes are written.
    let labelsKnown = 0;
    const oneMoreKnown = () => {
      if (++labelsKnown === order.length) labelBatch.sendEarly();
    };
    const lane = async () => {
      while (!stopped && next < order.length) {
        const index = order[next++];
        const contact = contacts[index];
        const canonicalId = plan.mergedInto[contact.id];
        if (canonicalId) {
          result.merged++;
          await extras.writeForMerged(contact, canonicalId, plan.identifiers?.[canonicalId]);
          oneMoreKnown();
        } else {
          const outcome = await ensureContact(input, chatwoot, contact, await extras.companiesOf(contact));
          if (outcome.created) result.created++;
          else if (outcome.mergedByEmail) result.merged++;
          else result.existing++;
          // Notes, labels and companies (contactExtras.ts): nothing to do for most contacts.
          await extras.write(contact, outcome.id, outcome.created, oneMoreKnown);
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
    await labelBatch.flush();
    return result;
  }

  /** The conversation's contact in Chatwoot; `remembered` when its id came from this worker's cache. */
  async function resolveContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    conversation: Conversation,
  ): Promise<{ id: number; remembered: boolean; cacheKey: string }> {
    const reference = conversation.contacts?.contacts[0];
    const intercomId = reference?.id ?? conversation.source.author.id ?? `conversation-${conversation.id}`;
    const plan = await cachedJson<MergePlan>(
      input,
      blobLayout.mergePlanIn(blobLayout.entityDir(input.account, 'contacts')),
    );
    const referenceIdentifier = contactIdentifier({ id: intercomId, external_id: reference?.external_id });
    const canonicalId =
      plan?.mergedInto[intercomId] ?? plan?.mergedIdentifiers?.[referenceIdentifier] ?? intercomId;
    const cacheKey = contactCacheKey(canonicalId);
    const known = contactIds(input).get(cacheKey);
    if (known !== undefined) return { id: known, remembered: true, cacheKey };
    // The contact reference carries its external id; a merged contact's canonical one is in the plan.
    const externalId = canonicalId === intercomId ? reference?.external_id : plan?.identifiers?.[canonicalId];
    const id = await deps
      .runCache(input)
      .sharedContact(cacheKey, () =>
        findOrMakeContact(input, chatwoot, conversation, { canonicalId, cacheKey, externalId, plan }),
      );
    return { id, remembered: false, cacheKey };
  }

  /** A conversation's contact not in the run's cache: found, the Intercom survivor's, or made. */
  async function findOrMakeContact(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    conversation: Conversation,
    who: { canonicalId: string; cacheKey: string; externalId?: string | null; plan?: MergePlan },
  ): Promise<number> {
    const { canonicalId, cacheKey, externalId, plan } = who;
    const found = await findContactByIdentifiers(
      chatwoot,
      contactIdentifierForms({ id: canonicalId, external_id: externalId }),
    );
    if (found) {
      contactIds(input).set(cacheKey, found.id);
      return found.id;
    }
    // Merged in Intercom (410 contact_merged, recorded by the export): the survivor's conversation.
    const survivor = await mergedSurvivor(deps.store(input), input.account, plan, canonicalId);
    const held = survivor && (await findContactByIdentifiers(chatwoot, contactIdentifierForms(survivor)));
    if (held) {
      contactIds(input).set(cacheKey, held.id);
      return held.id;
    }
    // A contact Intercom no longer lists (deleted, or new since the export): make one from the author.
    const author = conversation.source.author;
    const placeholder: Contact = {
      id: canonicalId,
      external_id: externalId ?? null,
      role: author.type === 'lead' ? 'lead' : 'user',
      name: author.name ?? undefined,
      email: author.email ?? undefined,
      created_at: conversation.created_at,
      updated_at: conversation.updated_at,
    };
    return (await ensureContact(input, chatwoot, placeholder)).id;
  }

  /**
   * The conversation this attempt writes to. It is looked up only where an earlier attempt may have
   * created it (createMarker.ts); otherwise the marker is written and the conversation created.
   */
  async function findOrCreateConversation(
    input: MigrationInput,
    chatwoot: ChatwootClient,
    conversation: Conversation,
    context: Context,
    create: () => Promise<{ id: number }>,
  ): Promise<ConversationTarget> {
    const lookup = async () =>
      (await chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', conversation.id))[0];
    const may = await mayAlreadyExist(deps, input, conversation.id, context.info.attempt);
    if (may) {
      // A re-run pages the archive inbox once (archiveIndex.ts) instead of a filter per conversation;
      // within one run (a retry, a delta sync) a filter for the few that need one costs less.
      const indexed = may.earlierRun
        ? await findInArchive(deps, input, { conversationId: conversation.id }, may.markedAt)
        : undefined;
      // Both answers carry status, labels, assignee and team: what the end of the import compares.
      const existing = indexed ? indexed[0] : await lookup();
      if (existing) return { id: existing.id, created: false, found: existing };
    }
    // Written again even when present: its run and time must be this create's, or a retry of it
    // would trust an archive index paged before it.
    await markCreating(deps, input, conversation.id);
    try {
      return { id: (await create()).id, created: true };
    } catch (error) {
      if (error instanceof HttpFailure && error.retryable) {
        // A 5xx or a lost answer may hide a committed create.
        const again = await lookup();
        if (again) return { id: again.id, created: false, found: again };
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
      // The conversation with the most messages left goes first at the pacer (clients/sendPriority.ts).
      const result = await withSendPriority((priority) => importConversationAttempt(args, context, priority));
      // Numbers only, for "budget in use" on the migration's page (importWorkflow adds up the workers).
      const chatwootRate = deps.chatwootRate(args.input);
      return chatwootRate ? { ...result, chatwootRate } : result;
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function importConversationAttempt(
    args: ConversationImportArgs,
    context: Context,
    priority: SendPriority,
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
    const attachmentIndex = await readAttachmentIndex(store, input.account, conversation.id);
    const copied = new Set((attachmentIndex?.stored ?? []).map((s) => `${s.messageSourceId}#${s.index}`));
    const planned = planMessages(conversation, {
      activityParts: input.import.activityParts,
      adminNames: mapping.intercomNames?.admins,
      teamNames: mapping.intercomNames?.teams,
      timestampLine: input.import.timestampLine,
      // An inline image's reference says whether its copy is attached to the message.
      attachmentCopied: (messageSourceId, index) => copied.has(`${messageSourceId}#${index}`),
    });
    // Its create, then its messages: what it still has to send, for the pacer's order.
    priority.remaining = planned.length + 1;
    const storedFor = (message: PlannedMessage) =>
      (attachmentIndex?.stored ?? []).filter((s) => s.messageSourceId === message.sourceId);

    // Who writes a message: an Intercom bot's part is the account's agent bot's (the administrator's
    // token, sender_type AgentBot), so no agent's reports count it (a mapping saved before the bot
    // existed has no id); an agent's public reply goes with the agent's own token when there is one.
    const authorOf = (message: PlannedMessage) => {
      const botId =
        message.botAuthored && message.messageType === 'outgoing' ? mapping.agentBotId : undefined;
      const client =
        botId === undefined &&
        message.messageType === 'outgoing' &&
        !message.private &&
        deps.hasAgentToken(message.authorEmail)
          ? deps.chatwoot(input, message.authorEmail ?? undefined)
          : chatwoot;
      return { botId, client };
    };
    const messageBody = async (message: PlannedMessage, stored: StoredAttachment[], botId?: number) => ({
      content: message.content,
      message_type: message.messageType,
      private: message.private,
      ...(botId === undefined ? {} : { sender_type: 'AgentBot' as const, sender_id: botId }),
      source_id: message.sourceId,
      content_attributes: {
        external_created_at: message.externalCreatedAt,
        intercom_author: { type: message.authorType, id: message.authorId, name: message.authorName },
      },
      attachments: stored.length ? await attachmentFiles(store, stored) : undefined,
    });
    // An agent's valid token refused by ConversationPolicy: name the inbox to add the agent to.
    const inInbox = (error: unknown) => {
      const inbox = { id: mapping.inboxId, name: input.chatwoot.inboxName };
      return error instanceof ChatwootPolicyRefusal ? error.inInbox(inbox) : error;
    };

    // The create carries everything Chatwoot takes at creation without alerting anyone: the first
    // message (ConversationsController#create builds it with Messages::MessageBuilder in the same
    // transaction, source_id included) and the team (the import's teams have allow_auto_assign off,
    // so AssignmentHandler picks no one). It stays pending (NotificationListener#conversation_created
    // skips pending ones; open or resolved would alert every inbox member) and unassigned
    // (NewMessageNotificationService would alert an assignee of every later message).
    const customAttributes = conversationCustomAttributes(conversation);
    const additionalAttributes = conversationAdditionalAttributes(conversation);
    const intercomTeam = syncedIntercomState(conversation).teamAssigneeId;
    const teamId = intercomTeam ? mapping.teams[intercomTeam] : undefined;
    const first = planned[0];
    const firstStored = first ? storedFor(first) : [];
    // Files make the create a form, which stores numbers as text (nothing in Chatwoot tells them apart)
    // and cannot carry a null or an empty list (conversationForm.ts): those send the message on its own.
    const foldFirst =
      first !== undefined &&
      (firstStored.length === 0 ||
        (formCarries('custom_attributes', customAttributes) &&
          formCarries('additional_attributes', additionalAttributes)));
    const firstAuthor = foldFirst && first ? authorOf(first) : undefined;
    const firstMessage =
      foldFirst && first ? await messageBody(first, firstStored, firstAuthor?.botId) : undefined;

    let contact = await resolveContact(input, chatwoot, conversation);
    const createFor = (contactId: number) => {
      stopIfGivenUp(context);
      return (firstAuthor?.client ?? chatwoot)
        .createConversation({
          inbox_id: mapping.inboxId,
          contact_id: contactId,
          // Pending until every message is in: an incoming message would reopen a resolved conversation.
          status: 'pending',
          ...(teamId === undefined ? {} : { team_id: teamId }),
          custom_attributes: customAttributes,
          additional_attributes: additionalAttributes,
          ...(firstMessage ? { message: firstMessage } : {}),
        })
        .catch((error: unknown) => {
          throw inInbox(error);
        });
    };
    const target = await findOrCreateConversation(input, chatwoot, conversation, context, async () => {
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
    if (target.created) target.createdTeamId = teamId;

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
    for (const [index, message] of planned.entries()) {
      priority.remaining = planned.length - index;
      if (already.has(message.sourceId)) {
        result.messagesAlreadyThere++;
        continue;
      }
      const stored = message === first ? firstStored : storedFor(message);
      result.attachmentsMissing += message.attachments.length - stored.length;
      if (message === first && firstMessage && target.created) {
        // Posted by the create above.
        postedAt.push(Date.now());
        result.messagesPosted++;
        result.attachmentsUploaded += stored.length;
        continue;
      }
      await respectFloodGuard(postedAt, input.import.messagesPerMinute);
      const author = authorOf(message);
      stopIfGivenUp(context);
      await author.client
        .createMessage(target.id, await messageBody(message, stored, author.botId))
        .catch((error: unknown) => {
          throw inInbox(error);
        });
      postedAt.push(Date.now());
      result.messagesPosted++;
      result.attachmentsUploaded += stored.length;
      context.heartbeat(result.messagesPosted);
    }

    priority.remaining = 0;
    // Labels, team, assignee and status; what agents changed in Chatwoot stays unless Intercom changed it.
    const pending = await applyFinalState(deps, {
      input,
      chatwoot,
      mapping,
      conversation,
      target,
      postedIncoming: planned.some(
        (message) => message.messageType === 'incoming' && !already.has(message.sourceId),
      ),
      batch: args.batchFinalState,
    });
    return pending ? { ...result, finalStatePending: true } : result;
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
