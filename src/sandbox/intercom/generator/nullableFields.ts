/**
 * Fields Intercom's API description (2.16) lets be null or left out, blanked in the dataset at a
 * rate, so that a rehearsal meets them as a real workspace may serve them:
 * - `conversation_source.id` is `nullable: true`: the opening message then has no id;
 * - `conversation_part_author`: "For Twitter, this will be blank": a contact's comment then has an
 *   author with no type, id, name or e-mail;
 * - `conversation_source.url` is nullable.
 * (The server blanks `pages` on the last page of the cursor lists: ../nullableFields.ts.)
 *
 * Applied after everything else, with a dice of its own: with a rate of 0 (the default) nothing is
 * drawn and the workspace is byte for byte what it was; with a rate, only these fields change.
 */

import type { Conversation } from '../../../clients/intercom/schemas.js';
import { seededRandom } from '../../faults.js';

export interface NullableFieldsApplied {
  /** Conversations whose opening message lost its id. */
  sourceIdsNulled: string[];
  /** Parts whose author was blanked, as `<conversation id>/<part id>`. */
  blankAuthors: string[];
}

const INCOMING = new Set(['user', 'lead', 'contact']);

export function applyNullableFields(
  seed: number,
  conversations: Conversation[],
  rate: number | undefined,
): NullableFieldsApplied {
  const applied: NullableFieldsApplied = { sourceIdsNulled: [], blankAuthors: [] };
  if (!rate || rate <= 0) return applied;
  const chance = seededRandom((seed ^ 0x6e756c6c) >>> 0);
  for (const conversation of conversations) {
    if (chance() < rate) {
      conversation.source.id = null;
      conversation.source.url = null;
      applied.sourceIdsNulled.push(conversation.id);
    }
    if (chance() < rate) {
      const part = conversation.conversation_parts?.conversation_parts.find(
        (candidate) => candidate.part_type === 'comment' && INCOMING.has(candidate.author.type),
      );
      if (part) {
        part.author = { type: '', id: null, name: null, email: null };
        applied.blankAuthors.push(`${conversation.id}/${part.id}`);
      }
    }
  }
  return applied;
}
