/**
 * Conversations with more than one contact, as Intercom models them: `contacts.contacts[]` lists every
 * participant (the first is the one the conversation is about), and each part's `author` is whoever
 * wrote it. A colleague added to the thread replies there too; the migration must say so, since
 * Chatwoot shows every incoming message as its conversation's contact's.
 *
 * Applied after everything else is built and without drawing from the dice, so the rest of the
 * workspace is the same as without it: a contact's comment in the chosen conversation is handed to
 * another contact (a different e-mail, so not one merged with the first), who joins the list.
 */
import type { Contact, Conversation } from '../../../clients/intercom/schemas.js';

const emailKey = (contact: Contact) => contact.email?.trim().toLowerCase() ?? '';

/** Makes up to `count` conversations multi-participant; returns their ids. */
export function applyMultiParticipantConversations(
  conversations: Conversation[],
  contacts: readonly Contact[],
  count: number,
): string[] {
  const changed: string[] = [];
  if (count <= 0 || contacts.length < 2) return changed;
  for (const conversation of conversations) {
    if (changed.length >= count) break;
    const main = conversation.contacts?.contacts[0];
    const mainContact = contacts.find((contact) => contact.id === main?.id);
    if (!main || !mainContact || conversation.contacts?.contacts.length !== 1) continue;
    const part = conversation.conversation_parts?.conversation_parts.find(
      (candidate) =>
        candidate.part_type === 'comment' && candidate.author.id === main.id && Boolean(candidate.body),
    );
    if (!part) continue;
    const start = contacts.indexOf(mainContact);
    const other = [...contacts.slice(start + 1), ...contacts.slice(0, start)].find(
      (contact) => contact.email && emailKey(contact) !== emailKey(mainContact),
    );
    if (!other) continue;
    part.author = { type: other.role, id: other.id, name: other.name ?? null, email: other.email ?? null };
    conversation.contacts?.contacts.push({
      type: 'contact',
      id: other.id,
      external_id: other.external_id ?? null,
    });
    changed.push(conversation.id);
  }
  return changed;
}
