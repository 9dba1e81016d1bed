/**
 * What the import workflow needs to plan its work, read from the blob store: the chunks to import,
 * the conversation ids of a chunk, and which contacts merge because their e-mails differ only by
 * case. Runs on the migration queue: no Chatwoot request, so none of Chatwoot's budget.
 */
import type { Contact, Conversation } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { contactIdentifier, legacyContactIdentifier, normalizeEmail } from '../../mapping/index.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { type EntityManifest, readChunk, readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import type { MergePlan } from './chatwootWrites.js';

export const importPlanningQueue = taskQueues.main;

export interface ChunksToImport {
  /** Chunks after `known` ready to import, in export order. */
  chunkKeys: string[];
  /** The export has finished and every chunk of it is in `chunkKeys` or before `known`. */
  complete: boolean;
}

export function createImportPlanningActivities(deps: ActivityDeps) {
  async function listManifestChunks(
    { input }: { input: MigrationInput },
    manifestKey: string,
  ): Promise<string[]> {
    return (await readManifest(deps.store(input), manifestKey)).chunks.map((c) => c.key);
  }

  /**
   * A chunk's conversation ids, in export order, or with `longestFirst` (importWorkflow's
   * IMPORT_LONGEST_FIRST) the conversations with the most parts first, ties in export order: a long
   * conversation's messages go one after the other, so it sets the import's end unless it starts first.
   */
  async function listChunkConversationIds(
    { input }: { input: MigrationInput },
    chunkKey: string,
    order?: 'longestFirst',
  ): Promise<string[]> {
    const conversations = await readChunk<Conversation>(deps.store(input), chunkKey);
    if (order !== 'longestFirst') return conversations.map((c) => c.id);
    const parts = (c: Conversation) => c.conversation_parts?.conversation_parts.length ?? 0;
    return conversations
      .map((c, index) => ({ id: c.id, parts: parts(c), index }))
      .sort((a, b) => b.parts - a.parts || a.index - b.index)
      .map((c) => c.id);
  }

  async function planContactMerges(
    { input }: { input: MigrationInput },
    contactsManifestKey: string,
  ): Promise<number> {
    const store = deps.store(input);
    const manifest = await readManifest(store, contactsManifestKey);
    // Only e-mail -> earliest contact is kept in memory: a reduced index, not the contacts themselves.
    const canonical = new Map<string, { id: string; createdAt: number; identifier: string }>();
    const groups = new Map<string, string[]>();
    /** External identifier of a contact merged away -> the e-mail of its group. */
    const mergedIdentifiers = new Map<string, string>();
    for await (const contact of recordsOf<Contact>(store, manifest)) {
      const email = normalizeEmail(contact.email ?? '');
      if (!email) continue;
      const current = canonical.get(email);
      const candidate = {
        id: contact.id,
        createdAt: contact.created_at,
        identifier: contactIdentifier(contact),
      };
      if (!current) {
        canonical.set(email, candidate);
        continue;
      }
      const winner =
        candidate.createdAt < current.createdAt ||
        (candidate.createdAt === current.createdAt && candidate.id < current.id)
          ? candidate
          : current;
      const loser = winner === candidate ? current : candidate;
      canonical.set(email, winner);
      groups.set(email, [...(groups.get(email) ?? []), loser.id]);
      if (loser.identifier !== legacyContactIdentifier(loser.id))
        mergedIdentifiers.set(loser.identifier, email);
    }
    const plan: MergePlan = { mergedInto: {}, merges: [], identifiers: {}, mergedIdentifiers: {} };
    for (const [email, losers] of groups) {
      const { id: canonicalId, identifier } = canonical.get(email) as { id: string; identifier: string };
      plan.merges.push({ email, canonicalId, mergedIds: losers });
      for (const id of losers) plan.mergedInto[id] = canonicalId;
      if (identifier !== legacyContactIdentifier(canonicalId) && plan.identifiers) {
        plan.identifiers[canonicalId] = identifier;
      }
    }
    for (const [identifier, email] of mergedIdentifiers) {
      if (plan.mergedIdentifiers)
        plan.mergedIdentifiers[identifier] = (canonical.get(email) as { id: string }).id;
    }
    await putJson(store, blobLayout.mergePlanIn(blobLayout.folderOf(contactsManifestKey)), plan);
    return plan.merges.length;
  }

  /**
   * The chunks after the first `known` of a manifest the export is still writing that may be imported
   * now, in export order, stopping at the first that may not: one whose attachments are not rehosted
   * yet (an inline image or a file must be in the store before its message is posted).
   */
  async function findChunksToImport(
    { input }: { input: MigrationInput },
    manifestKey: string,
    known: number,
  ): Promise<ChunksToImport> {
    const store = deps.store(input);
    const manifest = await getJson<EntityManifest>(store, manifestKey);
    if (!manifest) return { chunkKeys: [], complete: false };
    const chunkKeys: string[] = [];
    for (const chunk of manifest.chunks.slice(known)) {
      const ready =
        chunk.attachments === false ||
        (await getJson(store, blobLayout.rehostedChunk(chunk.key))) !== undefined;
      if (!ready) break;
      chunkKeys.push(chunk.key);
    }
    return { chunkKeys, complete: manifest.complete && known + chunkKeys.length >= manifest.chunks.length };
  }

  return { listManifestChunks, listChunkConversationIds, planContactMerges, findChunksToImport };
}

export type ImportPlanningActivities = OnQueue<
  typeof importPlanningQueue,
  ReturnType<typeof createImportPlanningActivities>
>;
