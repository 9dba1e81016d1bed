/**
 * Data that Chatwoot's validations refuse when written as it is (the `validationEdgeCases` option):
 * - tags whose names make invalid label titles (label.rb: letters, digits, "_" and "-", two characters
 *   at least, a letter or digit first): "A", "_internal", an emoji-only tag, and two tags that are
 *   equal once slugged ("Needs reply", "needs-reply");
 * - a rating remark of 3,000 characters (a conversation attribute may hold 1,500:
 *   jsonb_attributes_length_validator.rb), and a conversation custom attribute of 2,500 characters;
 * - on tickets, whose attributes become the top-level custom attributes of their conversation: an
 *   "integer" attribute above the validator's 9,999,999,999 and a string attribute of 2,000 characters.
 *
 * Applied after everything else is built and without drawing from the dice, so the rest of the
 * workspace is the same as without the option.
 */
import type { Admin, Conversation, Tag } from '../../../clients/intercom/schemas.js';
import type { Ticket } from '../../../clients/intercom/ticketSchemas.js';

export const EDGE_CASE_TAG_NAMES = ['A', '_internal', '🔥🔥', 'Needs reply', 'needs-reply'] as const;

/** Far above the ids buildTags gives (102, 105, ...), so they never collide. */
export function buildEdgeCaseTags(): Tag[] {
  return EDGE_CASE_TAG_NAMES.map((name, i) => ({ type: 'tag', id: String(90_001 + i), name }));
}

export const LONG_REMARK_CHARACTERS = 3_000;
export const LONG_CUSTOM_ATTRIBUTE = 'Internal summary';
export const LONG_CUSTOM_ATTRIBUTE_CHARACTERS = 2_500;

/** Text of exactly `characters` code points, with an emoji every sentence (surrogate pairs to cut around). */
export function longText(characters: number, topic: string): string {
  const sentences = [
    `The ${topic} went on for weeks 🙈 and nobody could say why.`,
    'Support asked for logs twice, then a third time; the logs were there all along.',
    'In the end a teammate found the setting, and it worked ✅ within the hour.',
  ];
  const pieces: string[] = [];
  let length = 0;
  for (let i = 0; length < characters; i++) {
    const sentence = `${sentences[i % sentences.length]} `;
    pieces.push(sentence);
    length += [...sentence].length;
  }
  const text = [...pieces.join('')].slice(0, characters);
  // Trimming would shorten it: end on a letter.
  if (/\s/.test(text[text.length - 1] ?? '')) text[text.length - 1] = '.';
  return text.join('');
}

/**
 * The edge-case tags go on the first conversation; the long remark and custom attribute on the first
 * rated conversation (so the CSAT figures keep their number of ratings), or on the last one if none is.
 */
export function applyValidationEdgeCases(conversations: Conversation[], tags: Tag[], admins: Admin[]): void {
  const first = conversations[0];
  if (!first) return;
  const appliedBy = { type: 'admin', id: admins[0]?.id ?? '0' };
  const list = first.tags?.tags ?? [];
  for (const tag of tags) {
    list.push({
      type: 'tag',
      id: tag.id,
      name: tag.name,
      applied_at: first.created_at + 120,
      applied_by: appliedBy,
    });
  }
  first.tags = { type: 'tag.list', ...first.tags, tags: list };

  const rated =
    conversations.find((conversation) => conversation.conversation_rating) ?? conversations.at(-1);
  if (!rated) return;
  const remark = longText(LONG_REMARK_CHARACTERS, 'refund');
  rated.conversation_rating = rated.conversation_rating
    ? { ...rated.conversation_rating, remark }
    : {
        rating: 2,
        remark,
        created_at: rated.updated_at,
        updated_at: rated.updated_at,
        contact: rated.contacts?.contacts[0] ?? null,
        teammate: appliedBy,
      };
  rated.custom_attributes = {
    ...rated.custom_attributes,
    [LONG_CUSTOM_ATTRIBUTE]: longText(LONG_CUSTOM_ATTRIBUTE_CHARACTERS, 'migration'),
  };
}

export const BIG_TICKET_INTEGER = 12_345_678_901;
export const LONG_TICKET_ATTRIBUTE_CHARACTERS = 2_000;

/**
 * The first bug report's "Affected users" (an integer attribute of its type) becomes a number above
 * 9,999,999,999; the first refund approval's "Internal reason" (a string) 2,000 characters long.
 */
export function applyTicketValidationEdgeCases(tickets: Ticket[]): void {
  const bug = tickets.find((ticket) => ticket.ticket_attributes?.['Affected users'] !== undefined);
  if (bug?.ticket_attributes) bug.ticket_attributes['Affected users'] = BIG_TICKET_INTEGER;
  const refund = tickets.find((ticket) => ticket.ticket_attributes?.['Order number'] !== undefined);
  if (refund?.ticket_attributes) {
    refund.ticket_attributes['Internal reason'] = longText(LONG_TICKET_ATTRIBUTE_CHARACTERS, 'chargeback');
  }
}
