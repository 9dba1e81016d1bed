/**
 * POST /api/v1/accounts/:id/bulk_actions for conversations (Api::V1::Accounts::BulkActionsController,
 * BulkActionsJob) and for contacts' labels (Contacts::BulkActionJob). The answer is `head :ok` as soon as the job is enqueued: it says nothing about
 * what the job will do, which runs later and reports no error to anyone. A caller must read the
 * conversations back to know. Apart from client.ts to keep that file within its size.
 *
 * Adding labels and setting a status or an assignee again are no-ops in Chatwoot (the same label
 * list, the same status, the same assignee_id: no saved change, no event), so the request is safe to
 * replay. The job runs with Current.user the caller: `fields.assignee_id` equal to the caller's own id
 * is a self-assignment, which Conversation#notifiable_assignee_change? never notifies.
 */
import { z } from 'zod';
import { type HttpCore, route } from '../httpCore.js';
import type { ConversationStatus } from './client.js';
import { type NumberedPage, numberedPages } from './pages.js';
import { type Contact, ContactPage } from './schemas.js';

export interface BulkConversationUpdate {
  /** Conversation display ids (what the API calls `id`). */
  ids: number[];
  /** fields.status: the job's conversation.update(status:). It takes no snoozed_until. */
  status?: ConversationStatus;
  /** labels.add: added to each conversation's labels (Labelable#add_labels), none removed. */
  addLabels?: string[];
  /** fields.assignee_id; the controller answers 422 'Invalid assignee_id' for a non-user of the account. */
  assigneeId?: number;
}

export interface BulkActionCalls {
  /** Enqueues BulkActionsJob; resolves once Chatwoot has accepted it, not once it ran. */
  updateConversations(update: BulkConversationUpdate): Promise<void>;
  /**
   * `type: 'Contact', labels: {add}`: Contacts::BulkActionJob adds the labels to each contact of the
   * account with one of these ids (Contacts::BulkAssignLabelsService, Labelable#add_labels: nothing
   * removed, a label it has changes nothing). Enqueued only, like the conversations' job.
   */
  addContactLabels(ids: number[], labels: string[]): Promise<void>;
  /**
   * GET /contacts?labels=<label>&sort=-created_at: the contacts carrying the label (tagged_with, any
   * case), newest first, 15 a page, without their inboxes. The contacts listing carries no labels
   * (api/v1/models/_contact.json.jbuilder), so this is the one way to see many contacts' labels at once.
   */
  contactsLabelled(label: string): AsyncGenerator<NumberedPage<Contact>>;
}

export function bulkActionCalls(core: HttpCore, accountId: number): BulkActionCalls {
  const bulkRoute = route('/api/v1/accounts/{account_id}/bulk_actions', { account_id: accountId });
  const contactsRoute = route('/api/v1/accounts/{account_id}/contacts', { account_id: accountId });
  return {
    async addContactLabels(ids, labels) {
      await core.request(
        {
          method: 'POST',
          route: bulkRoute,
          json: { type: 'Contact', ids, labels: { add: labels } },
          replaySafe: true,
        },
        z.null(),
      );
    },
    contactsLabelled(label) {
      return numberedPages(
        1,
        async (page) => {
          const answer = await core.request(
            {
              method: 'GET',
              route: contactsRoute,
              query: { labels: label, sort: '-created_at', include_contact_inboxes: 'false', page },
            },
            ContactPage,
          );
          return { items: answer.payload, total: answer.meta?.count ?? undefined };
        },
        'the contacts of a label',
      );
    },
    async updateConversations({ ids, status, addLabels, assigneeId }) {
      const fields = {
        ...(status === undefined ? {} : { status }),
        ...(assigneeId === undefined ? {} : { assignee_id: assigneeId }),
      };
      await core.request(
        {
          method: 'POST',
          route: bulkRoute,
          json: {
            type: 'Conversation',
            ids,
            ...(Object.keys(fields).length === 0 ? {} : { fields }),
            ...(addLabels === undefined ? {} : { labels: { add: addLabels } }),
          },
          replaySafe: true,
        },
        // head :ok: an empty body, which the core reads as null.
        z.null(),
      );
    },
  };
}
