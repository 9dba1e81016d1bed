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
import { readManifest, recordsOf } from '../manifests.js';
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
    const intercom = deps.intercom(input);
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
    const result: MergedContactsResult = { unlisted: unlisted.size, merged: 0 };
    const ids = [...unlisted];
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          const { contact, mergedInto } = await intercom.resolveContact(id);
          if (mergedInto === undefined) continue;
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

  return { resolveMergedContacts };
}

export type MergedContactActivities = OnQueue<
  typeof mergedContactsQueue,
  ReturnType<typeof createMergedContactActivities>
>;
