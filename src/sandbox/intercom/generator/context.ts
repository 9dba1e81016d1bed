/** The options of a generated workspace and what every part of the generator shares. */
import { seededRandom } from '../../faults.js';
import type { ContactExtrasOptions } from './contactExtras.js';
import { Dice } from './dice.js';

export interface GenerateOptions {
  seed: number;
  conversations: number;
  /** Mean number of parts per conversation; each conversation varies around it (default 6). */
  partsPerConversation?: number;
  /** Default: half the conversations, at least 1. */
  contacts?: number;
  /** Contacts whose email repeats another contact's, differing only by letter case. */
  caseDuplicateContacts?: number;
  /** Every Nth message (sources and comment/note parts) carries 1-3 attachments; 0 = none (default 5). */
  attachmentEvery?: number;
  /** Every Nth message body holds an inline <img> (default 9; 0 = none). */
  inlineImageEvery?: number;
  /** Conversations with more than 500 parts (520-600). */
  longConversations?: number;
  /** Conversations where a second contact writes a part (generator/participants.ts; default 1). */
  multiParticipantConversations?: number;
  /** Tickets of the three categories (generator/tickets.ts); default 3 to 12, by the conversations. */
  tickets?: number;
  /** Notes, contact tags, a contact with many companies, merged leads (generator/contactExtras.ts). */
  contactExtras?: ContactExtrasOptions | false;
  admins?: number;
  teams?: number;
  tags?: number;
  macros?: number;
  companies?: number;
  collections?: number;
  articles?: number;
  /** Deleted conversation ids listed by /conversations/deleted (default 1 per 25 conversations). */
  deletedConversations?: number;
  /**
   * Tags and attribute values Chatwoot refuses as they are (generator/edgeCases.ts): tags "A",
   * "_internal", an emoji-only one and two equal once slugged on the first conversation; a
   * 3,000-character rating remark and a long custom attribute. Off by default; the rest of the
   * workspace is the same either way.
   */
  validationEdgeCases?: boolean;
  /**
   * Share (0-1) of conversations whose fields the API description lets be null are blanked
   * (generator/nullableFields.ts: an opening message without id, a blank Twitter-style author); the
   * sandbox option of the same name answers `pages: null` on last pages. Default 0: nothing changes.
   */
  nullableFieldRate?: number;
  /** Unix seconds of the first conversation (default 1_600_000_000, so output is stable). */
  startTime?: number;
}

export interface GeneratorContext {
  readonly options: GenerateOptions;
  readonly seed: number;
  readonly dice: Dice;
  readonly startTime: number;
  /** The workspace's id_code. */
  readonly appId: string;
  /** The app number in attachment paths. */
  readonly appNumber: number;
}

/** The first draws of the dice name the workspace: they come before any object is built. */
export function newGeneratorContext(options: GenerateOptions): GeneratorContext {
  const dice = new Dice(seededRandom(options.seed));
  const startTime = options.startTime ?? 1_600_000_000;
  const appId = `sbx${dice.hex(5)}`;
  const appNumber = dice.int(1_000_000, 9_999_999);
  return { options, seed: options.seed, dice, startTime, appId, appNumber };
}
