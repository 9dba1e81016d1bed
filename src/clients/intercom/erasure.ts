/**
 * The calls an erasure request makes of Intercom 2.16: the contacts with an e-mail (POST
 * /contacts/search), the conversations of a contact (POST /conversations/search on contact_ids), and
 * DELETE /conversations/{id}. DELETE /contacts/{id} is the client's deleteContact. The API description
 * of DELETE /contacts/{id} says "You can delete a single contact." and nothing of its conversations,
 * so an erasure deletes each conversation itself. Deletes are replay-safe: a 404 means gone already.
 * Apart from client.ts to keep that file within its size.
 */
import { z } from 'zod';
import { type HttpCore, route } from '../httpCore.js';
import { HttpFailure } from '../httpFailure.js';
import { nextCursor } from './client.js';
import { ContactList, ConversationList } from './schemas.js';

const ConversationDeleted = z.looseObject({ id: z.string(), deleted: z.boolean().nullish() });
const MAX_PAGES = 1000;

export interface IntercomErasureCalls {
  /** Ids of the live contacts whose e-mail is exactly this one (the search is case-insensitive in Intercom). */
  contactIdsWithEmail(email: string): Promise<string[]>;
  /** Ids of every conversation that lists the contact among its contacts. */
  conversationIdsOf(contactId: string): Promise<string[]>;
  /** DELETE /conversations/{id}: false when it was already gone (404). */
  deleteConversation(id: string, retainMetrics: boolean): Promise<boolean>;
}

async function searchIds<S extends z.ZodType>(
  core: HttpCore,
  path: string,
  query: unknown,
  schema: S,
  read: (body: z.output<S>) => { ids: string[]; pages: Parameters<typeof nextCursor>[0] },
): Promise<string[]> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const pagination: { per_page: number; starting_after?: string } = { per_page: 150 };
    if (cursor !== undefined) pagination.starting_after = cursor;
    const body = await core.request(
      { method: 'POST', route: route(path), json: { query, pagination }, replaySafe: true },
      schema,
    );
    const answer = read(body);
    for (const id of answer.ids) ids.add(id);
    cursor = nextCursor(answer.pages);
    if (cursor === undefined) return [...ids];
  }
  throw new Error(`${path} gave more than ${MAX_PAGES} pages`);
}

export function intercomErasureCalls(core: HttpCore): IntercomErasureCalls {
  return {
    contactIdsWithEmail: (email) =>
      searchIds(
        core,
        '/contacts/search',
        { field: 'email', operator: '=', value: email },
        ContactList,
        (list) => ({ ids: list.data.map((contact) => contact.id), pages: list.pages }),
      ),
    conversationIdsOf: (contactId) =>
      searchIds(
        core,
        '/conversations/search',
        { field: 'contact_ids', operator: '=', value: contactId },
        ConversationList,
        (list) => ({ ids: list.conversations.map((conversation) => conversation.id), pages: list.pages }),
      ),
    deleteConversation: async (id, retainMetrics) => {
      try {
        await core.request(
          {
            method: 'DELETE',
            route: route('/conversations/{id}', { id }),
            query: { retain_metrics: String(retainMetrics) },
            replaySafe: true,
          },
          ConversationDeleted,
        );
        return true;
      } catch (error) {
        if (error instanceof HttpFailure && error.status === 404) return false;
        throw error;
      }
    },
  };
}
