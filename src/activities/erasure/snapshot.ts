/**
 * An erasure request's blob-store work, on the migration queue: finding the person in the snapshot
 * (the full export and every delta), putting them on the erasure list before anything is deleted (a
 * delta sync running meanwhile already leaves them out), rewriting the chunks without their records,
 * deleting their attachments and per-id markers, and writing the erasure record at the end.
 *
 * The e-mail is read from the request blob the CLI wrote and never leaves this process: what goes
 * back to the workflow are Intercom ids and counts. Ids found only here (external ids, which are the
 * site's user ids) go into the request blob for the Chatwoot step, and are deleted with it.
 */
import { type MigrationInput, taskQueues } from '../../config.js';
import { ticketConversationId } from '../../mapping/tickets.js';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { type EntityManifest, readChunk, readManifest, writeChunk, writeManifest } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { resealAccount } from '../rollout/seal.js';
import {
  accountSalt,
  addToErasureList,
  type ErasureMode,
  type ErasureRequest,
  emailHash,
  normalizeEmail,
} from './erasureList.js';
import { describeOutcome } from './outcome.js';

export const erasureSnapshotQueue = taskQueues.main;

/** The request blob once the snapshot has been searched: what the other steps need, and no more. */
export interface ErasureWorkingSet extends ErasureRequest {
  /** External ids of the person's exported contacts: their Chatwoot identifiers. */
  externalIds?: string[];
}

export interface ErasureArgs {
  input: MigrationInput;
  /** The request's reference (a salted hash): erasureRequest / erasureRecord keys. */
  ref: string;
}

export interface SnapshotFindings {
  intercomContactIds: string[];
  intercomConversationIds: string[];
  /** True when the request named an e-mail (its hash is on the erasure list). */
  byEmail: boolean;
}

export interface SnapshotErasure {
  contactsRemoved: number;
  contactsRedacted: number;
  conversationsRemoved: number;
  /** Tickets naming the person or written in by them (absent in records from before tickets were searched). */
  ticketsRemoved?: number;
  chunksRewritten: number;
  attachmentsDeleted: number;
  markersDeleted: number;
  mergePlansRewritten: number;
  /**
   * Set when the snapshot was sealed before: its sealed manifest no longer matches the rewritten
   * chunks until finishErasure re-seals it (the stored record then says `seal` and false here).
   */
  sealOutdated: boolean;
}

export interface ErasureRecord {
  ref: string;
  account: number;
  selector: { kind: 'email' | 'intercom-contact'; hash: string };
  mode: ErasureMode;
  where: string[];
  requestedAt?: string;
  finishedAt: string;
  found: { intercomContacts: number; intercomConversations: number };
  intercomContactIds: string[];
  intercomConversationIds: string[];
  snapshot?: SnapshotErasure;
  chatwoot?: unknown;
  intercom?: unknown;
  /** The sealed manifest written again at the end (the stored record; absent when never sealed). */
  seal?: { key: string; resealedAt: string };
  /** In words, per place asked: what was deleted and what was redacted (outcome.ts). */
  outcome?: Record<string, string>;
}

type ContactRecord = { id: string; email?: string | null; external_id?: string | null } & Record<
  string,
  unknown
>;
type Author = { id?: string | null; email?: string | null } | null | undefined;
type TicketRecord = {
  id: string;
  contacts?: { contacts?: { id: string }[] | null } | null;
  ticket_parts?: { ticket_parts?: { author?: (Author & { type?: string | null }) | null }[] | null } | null;
};
type ConversationRecord = {
  id: string;
  contacts?: { contacts?: { id: string }[] } | null;
  source?: { author?: Author } | null;
  conversation_parts?: { conversation_parts?: { author?: Author }[] } | null;
};

/**
 * Whether the conversation is the person's: it names one of their contacts, or one of its messages
 * is theirs (a participant other than the conversation's contact, by id or by e-mail).
 */
function concernsPerson(
  conversation: ConversationRecord,
  contactIds: Set<string>,
  email: string | undefined,
) {
  if ((conversation.contacts?.contacts ?? []).some((ref) => contactIds.has(ref.id))) return true;
  const authors = [
    conversation.source?.author,
    ...(conversation.conversation_parts?.conversation_parts ?? []).map((part) => part.author),
  ];
  return authors.some(
    (author) =>
      !!author &&
      ((!!author.id && contactIds.has(author.id)) ||
        (email !== undefined && !!author.email && normalizeEmail(author.email) === email)),
  );
}

export async function readRequest(store: BlobStore, args: ErasureArgs): Promise<ErasureWorkingSet> {
  const request = await getJson<ErasureWorkingSet>(
    store,
    blobLayout.erasureRequest(args.input.account, args.ref),
  );
  if (!request) {
    throw Object.assign(
      new Error(
        `erasure request ${args.ref} is not in the blob store: start erasures with \`cli.js erase\`, which writes it (a finished erasure deletes its request)`,
      ),
      { name: 'InvalidData' },
    );
  }
  return request;
}

/** Every manifest of the snapshot holding this entity: the full export's, then each delta's. */
async function manifestKeys(
  store: BlobStore,
  account: number,
  entity: 'contacts' | 'conversations' | 'tickets',
) {
  const keys = [blobLayout.entityManifest(account, entity)];
  for await (const key of store.list(blobLayout.deltaPrefix(account))) {
    if (blobLayout.isDeltaManifestOf(key, entity)) keys.push(key);
  }
  const present: string[] = [];
  for (const key of keys) if (await store.exists(key)) present.push(key);
  return present;
}

/**
 * Rewrites each chunk of a manifest through `rewrite` (records in, records out); chunks it leaves
 * alone are not written. Answers how many chunks changed.
 */
async function rewriteChunks<T>(
  store: BlobStore,
  manifestKey: string,
  rewrite: (records: T[]) => T[] | undefined,
): Promise<number> {
  const manifest: EntityManifest = await readManifest(store, manifestKey);
  let rewritten = 0;
  const chunks = [];
  for (const chunk of manifest.chunks) {
    const records = await readChunk<T>(store, chunk.key);
    const changed = rewrite(records);
    if (!changed) {
      chunks.push(chunk);
      continue;
    }
    rewritten++;
    chunks.push({ ...chunk, ...(await writeChunk(store, chunk.key, changed)) });
  }
  if (rewritten > 0) {
    await writeManifest(store, blobLayout.folderOf(manifestKey), {
      ...manifest,
      chunks,
      count: chunks.reduce((sum, chunk) => sum + chunk.count, 0),
    });
  }
  return rewritten;
}

async function deleteIfPresent(store: BlobStore, key: string): Promise<number> {
  if (!(await store.exists(key))) return 0;
  await store.delete(key);
  return 1;
}

export function createErasureSnapshotActivities(deps: ActivityDeps) {
  /**
   * Finds the person's contacts (by e-mail, case-insensitive, or by id) in every contacts manifest and
   * the conversations naming them in every conversations manifest; puts the e-mail's hash and the ids
   * on the erasure list; keeps the external ids in the request blob.
   */
  async function locateInSnapshot(args: ErasureArgs): Promise<SnapshotFindings> {
    const { account } = args.input;
    const store = deps.store(args.input);
    const request = await readRequest(store, args);
    const email = request.email ? normalizeEmail(request.email) : undefined;
    const contactIds = new Set<string>(request.intercomContactId ? [request.intercomContactId] : []);
    const externalIds = new Set<string>(request.externalIds ?? []);
    for (const key of await manifestKeys(store, account, 'contacts')) {
      const manifest = await readManifest(store, key);
      for (const chunk of manifest.chunks) {
        for (const contact of await readChunk<ContactRecord>(store, chunk.key)) {
          const matches =
            contactIds.has(contact.id) ||
            (email !== undefined && normalizeEmail(contact.email ?? '') === email);
          if (!matches) continue;
          contactIds.add(contact.id);
          if (contact.external_id) externalIds.add(contact.external_id);
        }
      }
    }
    const conversationIds = new Set<string>();
    for (const key of await manifestKeys(store, account, 'conversations')) {
      const manifest = await readManifest(store, key);
      for (const chunk of manifest.chunks) {
        for (const conversation of await readChunk<ConversationRecord>(store, chunk.key)) {
          if (concernsPerson(conversation, contactIds, email)) conversationIds.add(conversation.id);
        }
      }
    }
    const salt = await accountSalt(store, account);
    await addToErasureList(store, account, {
      emailHashes: email ? [emailHash(salt, email)] : [],
      intercomContactIds: [...contactIds],
      intercomConversationIds: [...conversationIds],
    });
    await putJson(store, blobLayout.erasureRequest(account, args.ref), {
      ...request,
      externalIds: [...externalIds].sort(),
    } satisfies ErasureWorkingSet);
    return {
      intercomContactIds: [...contactIds].sort(),
      intercomConversationIds: [...conversationIds].sort(),
      byEmail: email !== undefined,
    };
  }

  /** Ids found elsewhere (Intercom's search) join the list too, so a delta sync leaves them out. */
  async function extendErasureList(
    args: ErasureArgs & { intercomContactIds: string[]; intercomConversationIds: string[] },
  ): Promise<void> {
    await addToErasureList(deps.store(args.input), args.input.account, {
      intercomContactIds: args.intercomContactIds,
      intercomConversationIds: args.intercomConversationIds,
    });
  }

  /**
   * The snapshot without the person: contact records removed (delete) or cut down to their id and
   * times (redact); their conversations removed in both modes (their text is the person's data);
   * attachments rehosted for those conversations deleted; per-id markers and merge-plan entries gone.
   */
  async function eraseSnapshot(
    args: ErasureArgs & {
      intercomContactIds: string[];
      intercomConversationIds: string[];
      mode: ErasureMode;
    },
  ): Promise<SnapshotErasure> {
    const { account } = args.input;
    const store = deps.store(args.input);
    const contactIds = new Set(args.intercomContactIds);
    const conversationIds = new Set(args.intercomConversationIds);
    const result: SnapshotErasure = {
      contactsRemoved: 0,
      contactsRedacted: 0,
      conversationsRemoved: 0,
      ticketsRemoved: 0,
      chunksRewritten: 0,
      attachmentsDeleted: 0,
      markersDeleted: 0,
      mergePlansRewritten: 0,
      sealOutdated: false,
    };
    for (const key of await manifestKeys(store, account, 'contacts')) {
      result.chunksRewritten += await rewriteChunks<ContactRecord>(store, key, (records) => {
        if (!records.some((contact) => contactIds.has(contact.id))) return undefined;
        if (args.mode === 'delete') {
          result.contactsRemoved += records.filter((contact) => contactIds.has(contact.id)).length;
          return records.filter((contact) => !contactIds.has(contact.id));
        }
        return records.map((contact) => {
          if (!contactIds.has(contact.id)) return contact;
          result.contactsRedacted++;
          return {
            type: 'contact',
            id: contact.id,
            role: contact.role,
            created_at: contact.created_at,
            updated_at: contact.updated_at,
            erased: true,
          } as ContactRecord;
        });
      });
      const planKey = blobLayout.mergePlanIn(blobLayout.folderOf(key));
      if (await rewriteMergePlan(store, planKey, contactIds)) result.mergePlansRewritten++;
    }
    for (const key of await manifestKeys(store, account, 'conversations')) {
      result.chunksRewritten += await rewriteChunks<ConversationRecord>(store, key, (records) => {
        const kept = records.filter(
          (c) => !conversationIds.has(c.id) && !concernsPerson(c, contactIds, undefined),
        );
        if (kept.length === records.length) return undefined;
        result.conversationsRemoved += records.length - kept.length;
        return kept;
      });
    }
    // Tickets (the full export's): removed in both modes, as conversations are, with what hangs off them.
    const removedTickets: string[] = [];
    const ticketConcerns = (ticket: TicketRecord) =>
      (ticket.contacts?.contacts ?? []).some((ref) => contactIds.has(ref.id)) ||
      (ticket.ticket_parts?.ticket_parts ?? []).some(
        (part) => part.author?.type !== 'admin' && !!part.author?.id && contactIds.has(part.author.id),
      );
    for (const key of await manifestKeys(store, account, 'tickets')) {
      result.chunksRewritten += await rewriteChunks<TicketRecord>(store, key, (records) => {
        const gone = records.filter(ticketConcerns);
        if (gone.length === 0) return undefined;
        removedTickets.push(...gone.map((ticket) => ticket.id));
        return records.filter((ticket) => !ticketConcerns(ticket));
      });
    }
    result.ticketsRemoved = removedTickets.length;
    for (const conversationId of [...conversationIds, ...removedTickets.map(ticketConversationId)]) {
      for await (const key of store.list(blobLayout.attachmentPrefix(account, conversationId))) {
        await store.delete(key);
        result.attachmentsDeleted++;
      }
      result.markersDeleted += await deleteIfPresent(
        store,
        blobLayout.syncedConversation(account, conversationId),
      );
      result.markersDeleted += await deleteIfPresent(
        store,
        blobLayout.conversationCreateMarker(account, conversationId),
      );
      result.markersDeleted += await deleteIfPresent(
        store,
        blobLayout.rejectedConversation(account, conversationId),
      );
      result.markersDeleted += await deleteIfPresent(
        store,
        blobLayout.conversationFinalState(account, conversationId),
      );
    }
    for (const contactId of contactIds) {
      result.markersDeleted += await deleteIfPresent(store, blobLayout.contactAlias(account, contactId));
      result.markersDeleted += await deleteIfPresent(
        store,
        blobLayout.intercomMergedContact(account, contactId),
      );
      result.markersDeleted += await deleteIfPresent(
        store,
        blobLayout.contactExtrasWritten(account, contactId),
      );
    }
    result.sealOutdated = await store.exists(blobLayout.sealedManifest(account));
    return result;
  }

  /**
   * The request (the e-mail) deleted, the record (no personal data) next to the snapshot with what was
   * done in words, and, when the snapshot was sealed, the seal written again last, over the rewritten
   * chunks and the record, so that it stays true (rollout/seal.ts).
   */
  async function finishErasure(args: ErasureArgs & { record: ErasureRecord }): Promise<string> {
    const store = deps.store(args.input);
    const { account } = args.input;
    const key = blobLayout.erasureRecord(account, args.ref);
    await deleteIfPresent(store, blobLayout.erasureRequest(account, args.ref));
    const record: ErasureRecord = { ...args.record, outcome: describeOutcome(args.record) };
    const sealedKey = blobLayout.sealedManifest(account);
    if (await store.exists(sealedKey)) {
      // Written before the seal, so that the seal covers the record too; what changed against the
      // previous seal is in the seal's own `reseals` entry.
      const resealedAt = new Date().toISOString();
      record.seal = { key: sealedKey, resealedAt };
      if (record.snapshot) record.snapshot = { ...record.snapshot, sealOutdated: false };
      await putJson(store, key, record);
      await resealAccount(store, account, `erasure ${args.ref}`, resealedAt);
    } else {
      await putJson(store, key, record);
    }
    return key;
  }

  /** The hash of the request's selector, for the record (the workflow never sees the e-mail). */
  async function describeSelector(
    args: ErasureArgs,
  ): Promise<{ kind: 'email' | 'intercom-contact'; hash: string; requestedAt: string }> {
    const store = deps.store(args.input);
    const request = await readRequest(store, args);
    const salt = await accountSalt(store, args.input.account);
    return request.email
      ? { kind: 'email', hash: emailHash(salt, request.email), requestedAt: request.requestedAt }
      : { kind: 'intercom-contact', hash: args.ref, requestedAt: request.requestedAt };
  }

  return { locateInSnapshot, extendErasureList, eraseSnapshot, finishErasure, describeSelector };
}

/** Merge-plan entries of the erased contacts removed (the plan lists e-mails). */
async function rewriteMergePlan(store: BlobStore, key: string, contactIds: Set<string>): Promise<boolean> {
  type Plan = {
    mergedInto?: Record<string, string>;
    merges?: { email: string; canonicalId: string; mergedIds: string[] }[];
    identifiers?: Record<string, string>;
    mergedIdentifiers?: Record<string, string>;
  };
  const plan = await getJson<Plan>(store, key);
  if (!plan) return false;
  const touches = (id: string) => contactIds.has(id);
  const merges = (plan.merges ?? []).filter(
    (merge) => !touches(merge.canonicalId) && !merge.mergedIds.some(touches),
  );
  const dropKeys = (record: Record<string, string> | undefined) =>
    record &&
    Object.fromEntries(Object.entries(record).filter(([id, value]) => !touches(id) && !touches(value)));
  const next: Plan = {
    ...plan,
    mergedInto: dropKeys(plan.mergedInto),
    merges,
    identifiers: dropKeys(plan.identifiers),
    mergedIdentifiers: plan.mergedIdentifiers && dropKeys(plan.mergedIdentifiers),
  };
  if (JSON.stringify(next) === JSON.stringify(plan)) return false;
  await putJson(store, key, next);
  return true;
}

export type ErasureSnapshotActivities = OnQueue<
  typeof erasureSnapshotQueue,
  ReturnType<typeof createErasureSnapshotActivities>
>;
