/** Message routes (Api::V1::Accounts::Conversations::MessagesController). */
import { ChatwootApiError, RecordInvalidError, RubyStandardError } from '../errors.js';
import { isUploadedFile } from '../params.js';
import type { JsonObject } from '../records.js';
import { conversationOf } from './conversations.js';
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addMessageRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/conversations/:id/messages`, (context) => {
    const conversation = conversationOf(state, context);
    const contact = state.contactById(context.account, conversation.contactId);
    const assignee = conversation.assigneeId === null ? undefined : state.users.get(conversation.assigneeId);
    const meta: JsonObject = {
      labels: conversation.labels,
      additional_attributes: conversation.additionalAttributes,
      contact: contact ? views.contactPush(contact) : null,
    };
    if (assignee) meta.assignee = views.userPush(assignee);
    meta.agent_last_seen_at = null;
    meta.assignee_last_seen_at = null;
    return ok({
      meta,
      payload: state
        .listMessages(conversation, context.params)
        .map((message) => views.message(context.account, conversation, message)),
    });
  });
  add('POST', `${ACCOUNT_BASE}/conversations/:id/messages`, (context) => {
    const conversation = conversationOf(state, context);
    const attachments = context.params.attachments;
    const files = Array.isArray(attachments) ? attachments.filter(isUploadedFile) : [];
    try {
      const message = state.createMessage(
        context.account,
        conversation,
        context.params,
        context.actor,
        files,
      );
      return ok(views.message(context.account, conversation, message));
    } catch (error) {
      // MessagesController#create rescues every StandardError into 422 {error: message}.
      if (error instanceof RecordInvalidError || error instanceof RubyStandardError) {
        throw new ChatwootApiError(422, { error: error.message });
      }
      throw error;
    }
  });
}
