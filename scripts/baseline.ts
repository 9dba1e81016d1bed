/**
 * The benchmark's yardstick: the migration guide's import script, one request at a time. It reads
 * each conversation from Intercom, creates its contact (once per contact, which spares the guide's
 * duplicate creates), creates the conversation and posts every message, strictly sequentially and
 * with the project's own clients, mapping and pacing. It does not upload attachments, set labels,
 * assignments or statuses, look anything up before writing, or verify: it is the cheapest possible
 * one-at-a-time import, so the ratio against it is a lower bound of what concurrency buys.
 */
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { HttpFailure } from '../src/clients/httpFailure.js';
import { IntercomClient } from '../src/clients/intercom/client.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import { normalizeEmail, planMessages } from '../src/mapping/index.js';

export interface BaselineOptions {
  intercomUrl: string;
  intercomToken: string;
  chatwootUrl: string;
  chatwootToken: string;
  account: number;
  /** The same client-side pacing as the pipeline's CHATWOOT_REQUESTS_PER_SECOND. */
  chatwootRequestsPerSecond?: number;
}

export interface BaselineResult {
  conversations: number;
  messages: number;
  contacts: number;
  /** Wall time of the whole run: Intercom reads and Chatwoot writes, one after the other. */
  elapsedMs: number;
  intercomRequests: number;
  chatwootRequests: number;
  chatwootByRoute: Record<string, number>;
}

function contactOf(conversation: Conversation) {
  const author = conversation.source.author;
  return {
    key: conversation.contacts?.contacts[0]?.id ?? author.id ?? `conversation-${conversation.id}`,
    name: author.name ?? undefined,
    email: normalizeEmail(author.email),
  };
}

export async function runSequentialBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const intercom = new IntercomClient({ baseUrl: options.intercomUrl, token: options.intercomToken });
  const chatwoot = new ChatwootClient({
    baseUrl: options.chatwootUrl,
    accountId: options.account,
    token: options.chatwootToken,
    requestsPerSecond: options.chatwootRequestsPerSecond,
  });
  const started = Date.now();
  // Incoming messages need an API-channel inbox, as in the pipeline.
  const inbox = await chatwoot.createApiInbox({ name: 'Intercom baseline' });
  const contactIds = new Map<string, number>();
  const result: BaselineResult = {
    conversations: 0,
    messages: 0,
    contacts: 0,
    elapsedMs: 0,
    intercomRequests: 0,
    chatwootRequests: 0,
    chatwootByRoute: {},
  };

  const ensureContact = async (conversation: Conversation): Promise<number> => {
    const contact = contactOf(conversation);
    const known = contactIds.get(contact.key);
    if (known !== undefined) return known;
    let id: number;
    try {
      id = (
        await chatwoot.createContact({
          name: contact.name ?? contact.email ?? `Intercom contact ${contact.key}`,
          email: contact.email,
          identifier: `baseline:${contact.key}`,
        })
      ).id;
      result.contacts++;
    } catch (error) {
      // Two Intercom contacts whose e-mails differ only by case: Chatwoot keeps one.
      if (!(error instanceof HttpFailure && error.status === 422 && contact.email)) throw error;
      const owner = (await chatwoot.filterContacts('email', contact.email))[0];
      if (!owner) throw error;
      id = owner.id;
    }
    contactIds.set(contact.key, id);
    return id;
  };

  for await (const page of intercom.conversationPages()) {
    for (const item of page.items) {
      const conversation = await intercom.getConversation(item.id);
      const contactId = await ensureContact(conversation);
      const created = await chatwoot.createConversation({
        inbox_id: inbox.id,
        contact_id: contactId,
        status: conversation.state === 'open' ? 'open' : 'resolved',
      });
      const planned = planMessages(conversation, { activityParts: 'note', timestampLine: true });
      for (const message of planned) {
        await chatwoot.createMessage(created.id, {
          content: message.content,
          message_type: message.messageType,
          private: message.private,
          source_id: message.sourceId,
        });
        result.messages++;
      }
      result.conversations++;
    }
  }
  result.elapsedMs = Date.now() - started;
  result.intercomRequests = intercom.stats.requests;
  result.chatwootRequests = chatwoot.stats.requests;
  result.chatwootByRoute = { ...chatwoot.stats.byRoute };
  return result;
}
