/**
 * POST /api/v1/accounts/:id/bulk_actions for conversations (Api::V1::Accounts::BulkActionsController,
 * BulkActionsJob). The answer is `head :ok` as soon as the job is enqueued: it says nothing about
 * what the job will do, which runs later and reports no error to anyone. A caller must read the
 * conversations back to know. Apart from client.ts to keep that file within its size.
 *
 * Adding labels and setting a status again are no-ops in Chatwoot (the same label list, the same
 * status: no change, no event), so the request is safe to replay.
 */
import { z } from 'zod';
import { type HttpCore, route } from '../httpCore.js';
import type { ConversationStatus } from './client.js';

export interface BulkConversationUpdate {
  /** Conversation display ids (what the API calls `id`). */
  ids: number[];
  /** fields.status: the job's conversation.update(status:). It takes no snoozed_until. */
  status?: ConversationStatus;
  /** labels.add: added to each conversation's labels (Labelable#add_labels), none removed. */
  addLabels?: string[];
}

export interface BulkActionCalls {
  /** Enqueues BulkActionsJob; resolves once Chatwoot has accepted it, not once it ran. */
  updateConversations(update: BulkConversationUpdate): Promise<void>;
}

export function bulkActionCalls(core: HttpCore, accountId: number): BulkActionCalls {
  const bulkRoute = route('/api/v1/accounts/{account_id}/bulk_actions', { account_id: accountId });
  return {
    async updateConversations({ ids, status, addLabels }) {
      await core.request(
        {
          method: 'POST',
          route: bulkRoute,
          json: {
            type: 'Conversation',
            ids,
            ...(status === undefined ? {} : { fields: { status } }),
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
