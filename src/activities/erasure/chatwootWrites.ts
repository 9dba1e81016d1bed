/**
 * An erasure request in Chatwoot, on the chatwoot-writes queue (under Chatwoot's budget): the
 * person's contacts, found by e-mail (POST /contacts/filter, equal_to) and by every identifier the
 * import may have given them (their external ids, intercom:<id>); each contact's conversations (GET
 * /contacts/:id/conversations), their messages and attachments counted; then the conversations
 * deleted one by one and the contact deleted (delete) or stripped of name, e-mail, phone, identifier
 * and attributes (redact). Chatwoot deletes in a background job (DeleteObjectJob, destroy_async):
 * the activity checks afterwards that everything is gone, and fails retryably while it is not.
 */
import { Context } from '@temporalio/activity';
import { CONTACT_CONVERSATIONS_LISTED } from '../../clients/chatwoot/erasure.js';
import { taskQueues } from '../../config.js';
import { legacyContactIdentifier } from '../../mapping/contacts.js';
import type { ActivityDeps } from '../deps.js';
import type { OnQueue } from '../queues.js';
import type { ErasureMode } from './erasureList.js';
import { type ErasureArgs, readRequest } from './snapshot.js';

export const erasureChatwootQueue = taskQueues.chatwoot;

export interface ChatwootErasure {
  contactIds: number[];
  conversationDisplayIds: number[];
  contactsDeleted: number;
  contactsRedacted: number;
  conversationsDeleted: number;
  messages: number;
  attachments: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const GONE_CHECKS = 30;

export function createErasureChatwootActivities(deps: ActivityDeps) {
  async function eraseInChatwoot(
    args: ErasureArgs & {
      intercomContactIds: string[];
      intercomConversationIds?: string[];
      mode: ErasureMode;
    },
  ): Promise<ChatwootErasure> {
    const store = deps.store(args.input);
    const request = await readRequest(store, args);
    const chatwoot = deps.chatwoot(args.input);
    const identifiers = [
      ...(request.externalIds ?? []),
      ...args.intercomContactIds.map((id) => legacyContactIdentifier(id)),
    ];
    const contacts = new Map<number, { id: number }>();
    if (request.email)
      for (const contact of await chatwoot.filterContacts('email', request.email))
        contacts.set(contact.id, contact);
    if (identifiers.length > 0) {
      // FilterService compares LOWER(identifier): keep the exact matches only.
      const wanted = new Set(identifiers);
      for (const contact of await chatwoot.filterContactsByIdentifiers(identifiers))
        if (contact.identifier && wanted.has(contact.identifier)) contacts.set(contact.id, contact);
    }
    const result: ChatwootErasure = {
      contactIds: [...contacts.keys()].sort((a, b) => a - b),
      conversationDisplayIds: [],
      contactsDeleted: 0,
      contactsRedacted: 0,
      conversationsDeleted: 0,
      messages: 0,
      attachments: 0,
    };
    const erase = async (displayId: number) => {
      if (result.conversationDisplayIds.includes(displayId)) return;
      result.conversationDisplayIds.push(displayId);
      for await (const page of chatwoot.allMessages(displayId)) {
        result.messages += page.length;
        result.attachments += page.reduce((sum, message) => sum + (message.attachments?.length ?? 0), 0);
      }
      if (await chatwoot.erasure.deleteConversation(displayId)) result.conversationsDeleted++;
      Context.current().heartbeat(result.conversationsDeleted);
    };
    // Conversations the person took part in under another contact: found by the id the import stamped.
    for (const intercomId of args.intercomConversationIds ?? []) {
      for (const conversation of await chatwoot.filterConversationsByCustomAttribute(
        'intercom_conversation_id',
        intercomId,
      ))
        await erase(conversation.id);
    }
    for (const contactId of result.contactIds) {
      // Chatwoot lists a contact's newest 20 conversations only: once those are deleted (in
      // background jobs) the listing shows the next ones. Every one goes before the contact does.
      for (let idle = 0; ; ) {
        const listed = await chatwoot.erasure.conversationsOf(contactId);
        const fresh = listed.filter(
          (conversation) => !result.conversationDisplayIds.includes(conversation.id),
        );
        for (const conversation of fresh) await erase(conversation.id);
        if (listed.length < CONTACT_CONVERSATIONS_LISTED) break;
        if (fresh.length > 0) idle = 0;
        else if (++idle > GONE_CHECKS) throw stillListed(result);
        else {
          Context.current().heartbeat(result.conversationsDeleted);
          await sleep(1000);
        }
      }
      if (args.mode === 'delete') {
        if (await chatwoot.erasure.deleteContact(contactId)) result.contactsDeleted++;
      } else {
        await chatwoot.updateContact(contactId, {
          name: 'Erased contact',
          email: '',
          phone_number: '',
          identifier: '',
          additional_attributes: {},
          custom_attributes: {},
        });
        result.contactsRedacted++;
      }
    }
    await confirmGone(deps, args, result);
    return result;
  }

  return { eraseInChatwoot };
}

/** The deletes finish in Chatwoot's background jobs: wait until the contacts' conversations are gone. */
async function confirmGone(
  deps: ActivityDeps,
  args: ErasureArgs & { mode: ErasureMode },
  result: ChatwootErasure,
): Promise<void> {
  const chatwoot = deps.chatwoot(args.input);
  for (let check = 0; check < GONE_CHECKS; check++) {
    let remaining = 0;
    for (const contactId of result.contactIds) {
      try {
        remaining += (await chatwoot.erasure.conversationsOf(contactId)).length;
        if (args.mode === 'delete') remaining++;
      } catch (error) {
        if (!(error instanceof Error && 'status' in error && error.status === 404)) throw error;
      }
    }
    if (remaining === 0) return;
    await sleep(1000);
  }
  throw stillListed(result);
}

function stillListed(result: ChatwootErasure): Error {
  return new Error(
    `Chatwoot still lists ${result.contactIds.length} erased contact(s) or their conversations ${GONE_CHECKS} s after the deletes: its background jobs (Sidekiq) may be stopped; the erasure tries again`,
  );
}

export type ErasureChatwootActivities = OnQueue<
  typeof erasureChatwootQueue,
  ReturnType<typeof createErasureChatwootActivities>
>;
