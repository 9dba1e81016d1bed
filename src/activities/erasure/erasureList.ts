/**
 * The account's erasure list and the salted hashes an erasure is known by. The list holds no personal
 * data: the e-mails of people erased as HMAC-SHA256 under the account's salt, and the Intercom ids of
 * their contacts and conversations. Every export reads it and leaves out what it names: the full
 * export (contacts, conversations, tickets, merged contacts) as well as each delta sync, so a person
 * erased comes back neither with the next sync nor with a re-run of the account.
 *
 * The salt is random per account and kept in the blob store (acct-N/erasure/salt.json): a hash from
 * one deployment matches nothing in another, and a list of common addresses cannot be hashed once for
 * every migration. It is not a secret from whoever can read the snapshot itself.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';

export type ErasurePlace = 'snapshot' | 'chatwoot' | 'intercom';
export const ERASURE_PLACES: readonly ErasurePlace[] = ['snapshot', 'chatwoot', 'intercom'];
export type ErasureMode = 'delete' | 'redact';

/** What the CLI writes for the workflow: the only place the e-mail travels. Deleted at the end. */
export interface ErasureRequest {
  email?: string;
  intercomContactId?: string;
  requestedAt: string;
}

export interface ErasureList {
  emailHashes: string[];
  intercomContactIds: string[];
  intercomConversationIds: string[];
}

type Author = { id?: string | null; type?: string | null; email?: string | null };
type ConversationLike = {
  id: string;
  contacts?: { contacts?: { id: string }[] } | null;
  source?: { author?: Author | null } | null;
  conversation_parts?: { conversation_parts?: { author?: Author | null }[] } | null;
};

type TicketLike = {
  contacts?: { contacts?: { id: string }[] | null } | null;
  ticket_parts?: { ticket_parts?: { author?: Author | null }[] | null } | null;
};

/** Who wrote the conversation's messages: its opening message's author and each part's. */
export const authorsOf = (conversation: ConversationLike): Author[] =>
  [
    conversation.source?.author,
    ...(conversation.conversation_parts?.conversation_parts ?? []).map((part) => part.author),
  ].filter((author): author is Author => !!author);

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function accountSalt(store: BlobStore, account: number): Promise<string> {
  const key = blobLayout.erasureSalt(account);
  const existing = await getJson<{ salt: string }>(store, key);
  if (existing?.salt) return existing.salt;
  const salt = randomBytes(32).toString('hex');
  await putJson(store, key, { salt });
  // Two writers racing: whichever landed last is the salt; both read it back.
  return (await getJson<{ salt: string }>(store, key))?.salt ?? salt;
}

export const saltedHash = (salt: string, value: string) =>
  createHmac('sha256', Buffer.from(salt, 'hex')).update(value).digest('hex');

export const emailHash = (salt: string, email: string) => saltedHash(salt, `email:${normalizeEmail(email)}`);

/** The request's reference: in its workflow id and blob keys. Stable for one person, so a retry reuses it. */
export function requestRef(
  salt: string,
  request: Pick<ErasureRequest, 'email' | 'intercomContactId'>,
): string {
  const selector = request.email
    ? `email:${normalizeEmail(request.email)}`
    : `intercom-contact:${request.intercomContactId}`;
  return saltedHash(salt, selector).slice(0, 24);
}

export async function readErasureList(store: BlobStore, account: number): Promise<ErasureList> {
  const list = await getJson<Partial<ErasureList>>(store, blobLayout.erasureList(account));
  return {
    emailHashes: list?.emailHashes ?? [],
    intercomContactIds: list?.intercomContactIds ?? [],
    intercomConversationIds: list?.intercomConversationIds ?? [],
  };
}

/** Adds to the list (a set union: an activity retried adds nothing twice). */
export async function addToErasureList(store: BlobStore, account: number, add: Partial<ErasureList>) {
  const list = await readErasureList(store, account);
  const union = (a: string[], b: string[] | undefined) => [...new Set([...a, ...(b ?? [])])].sort();
  await putJson(store, blobLayout.erasureList(account), {
    emailHashes: union(list.emailHashes, add.emailHashes),
    intercomContactIds: union(list.intercomContactIds, add.intercomContactIds),
    intercomConversationIds: union(list.intercomConversationIds, add.intercomConversationIds),
  } satisfies ErasureList);
}

/**
 * What an export must leave out, from the list: a predicate for contacts (by id or by e-mail hash)
 * and for conversations (by id, or naming an erased contact). Empty lists keep everything at no cost.
 */
export async function erasureFilter(store: BlobStore, account: number) {
  const list = await readErasureList(store, account);
  const contactIds = new Set(list.intercomContactIds);
  const conversationIds = new Set(list.intercomConversationIds);
  const hashes = new Set(list.emailHashes);
  const salt = hashes.size > 0 ? await accountSalt(store, account) : '';
  const erasedContact = (contact: { id: string; email?: string | null }) =>
    contactIds.has(contact.id) ||
    (hashes.size > 0 && !!contact.email && hashes.has(emailHash(salt, contact.email)));
  const erasedAuthor = (author: Author) =>
    author.type !== 'admin' && !!author.id && erasedContact({ id: author.id, email: author.email });
  return {
    empty: contactIds.size + conversationIds.size + hashes.size === 0,
    erasedContact,
    /** A list item (no parts) or a whole conversation: by id, by the contacts it names, by its authors. */
    erasedConversation: (conversation: ConversationLike) =>
      conversationIds.has(conversation.id) ||
      (conversation.contacts?.contacts ?? []).some((ref) => contactIds.has(ref.id)) ||
      authorsOf(conversation).some(erasedAuthor),
    /** A ticket: by the contacts it names or the authors of its parts (tickets have ids of their own). */
    erasedTicket: (ticket: TicketLike) =>
      (ticket.contacts?.contacts ?? []).some((ref) => erasedContact({ id: ref.id })) ||
      (ticket.ticket_parts?.ticket_parts ?? []).some((part) => !!part.author && erasedAuthor(part.author)),
  };
}

export type ErasureFilter = Awaited<ReturnType<typeof erasureFilter>>;
