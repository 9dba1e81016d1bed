/**
 * Conversations of contacts Intercom merged away. GET /contacts lists only live contacts, but a
 * conversation may still name a merged one (exported before the merge, or a reference Intercom did
 * not rewrite): GET /contacts/{id} answers it with 410 contact_merged and a Link to the contact it
 * became. After the full export, every contact a conversation names that the contact export does not
 * hold is asked for once; each merged one is recorded (blobLayout.intercomMergedContact) so that the
 * import puts its conversations on the surviving contact. Deleted ones (404) stay placeholders, as
 * before. Requests: one per such contact, none when every reference is a listed contact.
 */
import { Context } from '@temporalio/activity';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Contact, Conversation } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { erasureFilter } from '../erasure/erasureList.js';
import { readChunk, readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { recordIntercomMerge } from './contactExtras.js';

export const mergedContactsQueue = taskQueues.intercom;

export interface MergedContactsResult {
  /** Contacts named by conversations but not listed by GET /contacts. */
  unlisted: number;
  /** Of those, merged into another contact (410 contact_merged). */
  merged: number;
}

/** The contact a conversation is imported on, as the import picks it. */
const conversationContactId = (conversation: Conversation): string | undefined =>
  conversation.contacts?.contacts?.[0]?.id ?? conversation.source?.author?.id ?? undefined;

export function createMergedContactActivities(deps: ActivityDeps) {
  async function resolveMergedContacts({ input }: { input: MigrationInput }): Promise<MergedContactsResult> {
    const store = deps.store(input);
    const listed = new Set<string>();
    const contacts = await readManifest(store, blobLayout.entityManifest(input.account, 'contacts'));
    for await (const contact of recordsOf<Contact>(store, contacts)) {
      listed.add(contact.id);
      if (listed.size % 5_000 === 0) Context.current().heartbeat('reading contacts');
    }
    const unlisted = new Set<string>();
    const conversations = await readManifest(
      store,
      blobLayout.entityManifest(input.account, 'conversations'),
    );
    let read = 0;
    for await (const conversation of recordsOf<Conversation>(store, conversations)) {
      if (++read % 1_000 === 0) Context.current().heartbeat('reading conversations');
      const id = conversationContactId(conversation);
      if (id !== undefined && !listed.has(id)) unlisted.add(id);
    }
    listed.clear();
    return resolveUnlisted(input, [...unlisted]);
  }

  /** Asks Intercom once about each contact of `ids` and records the ones it merged away. */
  async function resolveUnlisted(input: MigrationInput, named: string[]): Promise<MergedContactsResult> {
    const store = deps.store(input);
    const intercom = deps.intercom(input);
    // An erased person's contact is unlisted because the export left it out: nothing to ask or record.
    const erased = await erasureFilter(store, input.account);
    const ids = named.filter((id) => !erased.erasedContact({ id }));
    const result: MergedContactsResult = { unlisted: ids.length, merged: 0 };
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          const { contact, mergedInto } = await intercom.resolveContact(id);
          if (mergedInto === undefined || erased.erasedContact(contact)) continue;
          await recordIntercomMerge(store, input.account, id, contact);
          result.merged++;
        } catch (error) {
          // Deleted: the import makes a placeholder from the conversation's author, as before.
          if (!(error instanceof HttpFailure && error.status === 404)) throw error;
        }
        Context.current().heartbeat(next);
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, ids.length) }, lane));
    return result;
  }

  /**
   * resolveMergedContacts for the conversations of one chunk, once the contacts' export is complete:
   * an import that follows the export runs it before the chunk, instead of the whole pass at the end.
   * The listed contacts' ids are read once per worker and migration run.
   */
  async function resolveMergedContactsInChunk(
    { input }: { input: MigrationInput },
    chunkKey: string,
  ): Promise<MergedContactsResult> {
    const store = deps.store(input);
    const contactsKey = blobLayout.entityManifest(input.account, 'contacts');
    const run = deps.runCache(input);
    const listed = (await run.cached(run.json, `listed-contacts:${contactsKey}`, async () => {
      const ids = new Set<string>();
      for await (const contact of recordsOf<Contact>(store, await readManifest(store, contactsKey))) {
        ids.add(contact.id);
        if (ids.size % 5_000 === 0) Context.current().heartbeat('reading contacts');
      }
      return ids;
    })) as Set<string>;
    const unlisted = new Set<string>();
    for (const conversation of await readChunk<Conversation>(store, chunkKey)) {
      const id = conversationContactId(conversation);
      if (id !== undefined && !listed.has(id)) unlisted.add(id);
    }
    return resolveUnlisted(input, [...unlisted]);
  }

  return { resolveMergedContacts, resolveMergedContactsInChunk };
}

export type MergedContactActivities = OnQueue<
  typeof mergedContactsQueue,
  ReturnType<typeof createMergedContactActivities>
>;
