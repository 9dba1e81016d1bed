/**
 * Deleting a contact and a conversation, as Chatwoot 4.10 does:
 *
 * - DELETE /api/v1/accounts/:account_id/contacts/:id
 *   (app/controllers/api/v1/accounts/contacts_controller.rb#destroy): ContactPolicy#destroy? wants an
 *   administrator (app/policies/contact_policy.rb); a contact the OnlineStatusTracker reports present
 *   is refused with 422 (the sandbox tracks no contact presence, so it never is); otherwise
 *   `@contact.destroy!` and `head :ok`. The contact row goes at once. What hangs off it goes through
 *   app/models/contact.rb's `dependent: :destroy_async`: conversations, contact_inboxes,
 *   csat_survey_responses, messages (as sender) and notes are destroyed by a background job after the
 *   answer, each conversation with its messages and their attachments. So for a moment after the 200
 *   the contact's conversations are still listed; a caller that must see them gone checks again.
 * - DELETE /api/v1/accounts/:account_id/conversations/:id
 *   (app/controllers/api/v1/accounts/conversations_controller.rb#destroy): `authorize @conversation,
 *   :destroy?` (ConversationPolicy#destroy?: administrators only, app/policies/conversation_policy.rb),
 *   then `DeleteObjectJob.perform_later(@conversation, ...)` (app/jobs/delete_object_job.rb:
 *   `object.destroy!`) and `head :ok`: the conversation is gone once the job has run.
 */
import { type ActingUser, requireAdministrator } from './auth.js';
import type { AccountRecord, ContactRecord, ConversationRecord } from './records.js';
import type { ChatwootState } from './state.js';

/** conversation.rb's own dependents: its messages (and their attachments) and CSAT responses. */
function destroyConversationNow(account: AccountRecord, conversation: ConversationRecord): void {
  const index = account.conversations.indexOf(conversation);
  if (index < 0) return;
  account.conversations.splice(index, 1);
  account.csatResponses = account.csatResponses.filter((r) => r.conversationId !== conversation.id);
}

export function destroyContact(
  state: ChatwootState,
  account: AccountRecord,
  contactId: unknown,
  actor: ActingUser,
): void {
  // before_action :check_authorization runs before :fetch_contact: an agent gets 401, not 404.
  requireAdministrator(actor);
  const contact: ContactRecord = state.contact(account, contactId);
  account.contacts.splice(account.contacts.indexOf(contact), 1);
  // has_many ..., dependent: :destroy_async: a job per association, after the answer.
  state.performLater(() => {
    for (const conversation of account.conversations.filter((c) => c.contactId === contact.id))
      destroyConversationNow(account, conversation);
    account.contactInboxes = account.contactInboxes.filter((ci) => ci.contactId !== contact.id);
    account.csatResponses = account.csatResponses.filter((r) => r.contactId !== contact.id);
    if (account.notes) account.notes = account.notes.filter((note) => note.contactId !== contact.id);
    // Messages the contact sent in other contacts' conversations (has_many :messages, as: :sender).
    for (const conversation of account.conversations) {
      conversation.messages = conversation.messages.filter(
        (message) => !(message.sender?.type === 'Contact' && message.sender.id === contact.id),
      );
    }
  });
}

export function destroyConversation(
  state: ChatwootState,
  account: AccountRecord,
  displayId: unknown,
  actor: ActingUser,
): void {
  const conversation = state.conversation(account, displayId);
  requireAdministrator(actor);
  state.performLater(() => destroyConversationNow(account, conversation));
}
