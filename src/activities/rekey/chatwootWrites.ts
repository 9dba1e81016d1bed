/**
 * Re-keys contacts imported before identifiers were external ids: a contact Chatwoot holds as
 * `intercom:<id>` gets its external id as identifier, so that a returning customer whom the widget
 * identifies with `$chatwoot.setUser(<user id>)` lands on it (ContactIdentifyAction merges only into
 * the contact with that very identifier). When the widget already made a contact under the external id
 * (a visitor during the parallel run), it is merged into the imported one first, which keeps its id
 * (the import's bookkeeping points at it) and its history and takes over the visitor's conversations.
 * Per contact, in this order, so that a re-run after any failure finishes the work and a re-run after
 * success changes nothing:
 *   neither form in Chatwoot        nothing (a contact merged by e-mail, or not imported)
 *   only the external id            nothing (imported after the change, or already re-keyed)
 *   `intercom:<id>` and external id  POST /actions/contact_merge (base: the imported one), then PUT
 *   only `intercom:<id>`            PUT /contacts/<id> {identifier: <external id>}
 */
import { Context } from '@temporalio/activity';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Contact } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { contactIdentifier, legacyContactIdentifier } from '../../mapping/index.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import type { MergePlan } from '../import/chatwootWrites.js';
import { readChunk } from '../manifests.js';
import type { OnQueue } from '../queues.js';

export interface RekeyCounts {
  /** Contacts with an external id looked at. */
  checked: number;
  /** `intercom:<id>` contacts given their external id. */
  rekeyed: number;
  /** Of those, the ones a widget contact with the external id was merged into first. */
  merged: number;
  /** Already under their external id, or not in Chatwoot under either form. */
  unchanged: number;
  /** Refused three times over (404/422 while the widget wrote the same contact): still `intercom:<id>`, see the worker log. */
  conflicts: number;
}

export const emptyRekeyCounts = (): RekeyCounts => ({
  checked: 0,
  rekeyed: 0,
  merged: 0,
  unchanged: 0,
  conflicts: 0,
});

type Outcome = 'rekeyed' | 'merged' | 'unchanged' | 'conflict';

export const rekeyQueue = taskQueues.chatwoot;

export function createRekeyActivities(deps: ActivityDeps) {
  async function rekeyOne(chatwoot: ChatwootClient, contact: Contact): Promise<Outcome> {
    const external = contactIdentifier(contact);
    const legacy = legacyContactIdentifier(contact.id);
    for (let attempt = 0; attempt < 3; attempt++) {
      // One request for both forms; the filter is case-insensitive, identifiers are not.
      const found = await chatwoot.filterContactsByIdentifiers([external, legacy]);
      const imported = found.find((candidate) => candidate.identifier === legacy);
      const visitor = found.find((candidate) => candidate.identifier === external);
      if (!imported) return 'unchanged';
      try {
        if (visitor) await chatwoot.mergeContacts(imported.id, visitor.id);
        await chatwoot.updateContact(imported.id, { identifier: external });
        return visitor ? 'merged' : 'rekeyed';
      } catch (error) {
        // A merge answered after it was done (404 for the mergee), or a widget contact made under the
        // external id in between (422 on the identifier): look again, and merge that one too.
        const stale =
          error instanceof HttpFailure &&
          (error.status === 404 || (error.status === 422 && /identifier/i.test(error.message)));
        if (!stale) throw error;
      }
    }
    return 'conflict';
  }

  async function rekeyContacts({ input }: { input: MigrationInput }, chunkKey: string): Promise<RekeyCounts> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const plan = await getJson<MergePlan>(store, blobLayout.mergePlanIn(blobLayout.folderOf(chunkKey)));
    const contacts = await readChunk<Contact>(store, chunkKey);
    const counts = emptyRekeyCounts();
    // Resumes after the contacts a previous attempt finished; the counts of those are not repeated.
    const start = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    for (let index = start; index < contacts.length; index++) {
      const contact = contacts[index] as Contact;
      // A contact merged by e-mail has no Chatwoot contact of its own; no external id, nothing to re-key.
      if (
        !plan?.mergedInto[contact.id] &&
        contactIdentifier(contact) !== legacyContactIdentifier(contact.id)
      ) {
        counts.checked++;
        const outcome = await rekeyOne(chatwoot, contact);
        if (outcome === 'conflict') {
          counts.conflicts++;
          Context.current().log.warn(
            'contact not re-keyed: Chatwoot kept refusing it; run the re-key again',
            {
              intercomContactId: contact.id,
            },
          );
        } else if (outcome === 'unchanged') counts.unchanged++;
        else {
          counts.rekeyed++;
          if (outcome === 'merged') counts.merged++;
        }
      }
      Context.current().heartbeat(index + 1);
    }
    return counts;
  }

  return { rekeyContacts };
}

export type RekeyActivities = OnQueue<typeof rekeyQueue, ReturnType<typeof createRekeyActivities>>;
