/**
 * The calls an erasure request makes of Chatwoot (contacts_controller.rb#destroy,
 * contacts/conversations_controller.rb#index, conversations_controller.rb#destroy). Both deletes
 * answer `head :ok` and finish in a background job (contact.rb's `dependent: :destroy_async`,
 * DeleteObjectJob.perform_later): the caller checks afterwards that what it deleted is gone. A 404
 * means it is gone already, which is what a retried delete wants: they are replay-safe.
 * Apart from client.ts to keep that file within its size.
 */
import { z } from 'zod';
import { type HttpCore, type RouteRef, route } from '../httpCore.js';
import { HttpFailure } from '../httpFailure.js';
import { Conversation } from './schemas.js';

const ConversationsOfContact = z.looseObject({ payload: z.array(Conversation) });
const HeadOk = z.unknown();

export interface ErasureCalls {
  /**
   * GET /contacts/{id}/conversations: the contact's newest CONTACT_CONVERSATIONS_LISTED conversations
   * the token may see; no pages (the older ones show as the newer are deleted).
   */
  conversationsOf(contactId: number): Promise<z.infer<typeof Conversation>[]>;
  /** DELETE /contacts/{id}: false when it was already gone (404). Administrators only. */
  deleteContact(contactId: number): Promise<boolean>;
  /** DELETE /conversations/{display id}: false when it was already gone (404). Administrators only. */
  deleteConversation(displayId: number): Promise<boolean>;
}

/** Contacts::ConversationsController#index: `.order(id: :desc).limit(20)`. */
export const CONTACT_CONVERSATIONS_LISTED = 20;

const gone = (error: unknown) => error instanceof HttpFailure && error.status === 404;

export function erasureCalls(core: HttpCore, accountId: number): ErasureCalls {
  const accountRoute = (path: string, id: number): RouteRef =>
    route(`/api/v1/accounts/{account_id}${path}`, { account_id: accountId, id });
  const remove = async (ref: RouteRef) => {
    try {
      await core.request({ method: 'DELETE', route: ref, replaySafe: true }, HeadOk);
      return true;
    } catch (error) {
      if (gone(error)) return false;
      throw error;
    }
  };
  return {
    conversationsOf: async (contactId) =>
      (
        await core.request(
          { method: 'GET', route: accountRoute('/contacts/{id}/conversations', contactId) },
          ConversationsOfContact,
        )
      ).payload,
    deleteContact: (contactId) => remove(accountRoute('/contacts/{id}', contactId)),
    deleteConversation: (displayId) => remove(accountRoute('/conversations/{id}', displayId)),
  };
}
