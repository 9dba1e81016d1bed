/**
 * Intercom-side activities: paged exports that heartbeat their cursor and resume from it, the delta
 * export of the parallel run, tagging migrated conversations and, only on an explicit decision,
 * deleting the Intercom data. They run on the intercom-reads task queue whose workers share one
 * global rate (maxTaskQueueActivitiesPerSecond); the client paces individual requests.
 */
import { Context } from '@temporalio/activity';
import type { Conversation, ConversationListItem } from '../clients/intercom/schemas.js';
import { blobKeys, type MigrationInput } from '../config.js';
import { planMessages } from '../mapping/index.js';
import { attachmentsFoundSignal } from '../workflows/definitions.js';
import type {
  ChunkRef,
  DeltaExportArgs,
  DeltaExportResult,
  EntityExportResult,
  ExportArgs,
  ExportEntityName,
} from './contract.js';
import type { ActivityDeps } from './deps.js';
import {
  chunkKey,
  type EntityManifest,
  readManifest,
  recordsOf,
  writeChunk,
  writeManifest,
} from './manifests.js';

interface PagedCheckpoint {
  cursor?: string;
  chunkIndex: number;
  count: number;
  truncated: EntityManifest['truncated'];
  restarts: number;
}

type Page<T> = { items: T[]; next?: string };

/** Runs `fetchDetails` over items with a small concurrency, keeping their order. */
async function mapInOrder<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}

function resumeCheckpoint(): PagedCheckpoint {
  const details = Context.current().info.heartbeatDetails as PagedCheckpoint | undefined;
  return details ?? { chunkIndex: 0, count: 0, truncated: [], restarts: 0 };
}

export function hasAttachments(conversation: Conversation): boolean {
  return planMessages(conversation, { activityParts: 'note', timestampLine: false }).some(
    (m) => m.attachments.length > 0,
  );
}

export function createIntercomActivities(deps: ActivityDeps) {
  /**
   * Streams pages into one chunk each. The checkpoint (heartbeated after every chunk) is the cursor
   * of the next page, so a crash re-reads at most the page in progress and rewrites its chunk under
   * the same key: nothing lost, nothing doubled.
   */
  async function exportPaged<T>(
    input: MigrationInput,
    entity: ExportEntityName,
    pages: (cursor: string | undefined) => AsyncGenerator<Page<T>>,
    onChunk?: (records: T[], ref: ChunkRef, checkpoint: PagedCheckpoint) => Promise<void>,
  ): Promise<EntityExportResult> {
    const store = deps.store(input);
    const dir = blobKeys.entityDir(input.account, entity);
    const checkpoint = resumeCheckpoint();
    const previous = checkpoint.chunkIndex > 0 ? await readPartialManifest(dir) : [];
    const chunks: ChunkRef[] = previous.slice(0, checkpoint.chunkIndex);
    const finishedBefore = checkpoint.chunkIndex > 0 && checkpoint.cursor === undefined;
    if (!finishedBefore) {
      for await (const page of pages(checkpoint.cursor)) {
        const ref = await writeChunk(store, chunkKey(dir, checkpoint.chunkIndex + 1), page.items);
        if (onChunk) await onChunk(page.items, ref, checkpoint);
        chunks.push(ref);
        checkpoint.chunkIndex++;
        checkpoint.count += page.items.length;
        checkpoint.cursor = page.next;
        await writeManifest(store, dir, manifestOf(entity, checkpoint, chunks, false));
        Context.current().heartbeat(checkpoint);
        if (!page.next) break;
      }
    }
    const manifest = manifestOf(entity, checkpoint, chunks, true);
    const manifestKey = await writeManifest(store, dir, manifest);
    return {
      entity,
      count: manifest.count,
      chunks: chunks.length,
      manifestKey,
      truncated: manifest.truncated?.length,
      restarts: checkpoint.restarts || undefined,
    };

    async function readPartialManifest(entityDir: string): Promise<ChunkRef[]> {
      try {
        return (await readManifest(store, `${entityDir}/manifest.json`)).chunks;
      } catch {
        return [];
      }
    }
  }

  function manifestOf(
    entity: string,
    checkpoint: PagedCheckpoint,
    chunks: ChunkRef[],
    complete: boolean,
  ): EntityManifest {
    return {
      entity,
      count: chunks.reduce((sum, c) => sum + c.count, 0),
      chunks,
      complete,
      exportedAt: new Date().toISOString(),
      truncated: entity === 'conversations' ? checkpoint.truncated : undefined,
      restarts: checkpoint.restarts || undefined,
    };
  }

  /** Page-numbered lists checkpoint the next page number as their cursor. */
  async function* numbered<T>(
    pages: AsyncGenerator<{ items: T[]; nextPage?: number }>,
  ): AsyncGenerator<Page<T>> {
    for await (const page of pages)
      yield { items: page.items, next: page.nextPage === undefined ? undefined : String(page.nextPage) };
  }

  /** One-shot lists (tags, teams, admins, attribute definitions) as a single chunk. */
  async function* once<T>(load: () => Promise<T[]>): AsyncGenerator<Page<T>> {
    yield { items: await load() };
  }

  async function exportEntity(
    { input }: { input: MigrationInput },
    entity: ExportEntityName,
  ): Promise<EntityExportResult> {
    const intercom = deps.intercom(input);
    const perPage = input.export.pageSize;
    switch (entity) {
      case 'contacts':
        return exportPaged(input, entity, (cursor) => intercom.contactPages(cursor, perPage));
      case 'companies':
        return exportCompanies(input);
      case 'tags':
        return exportPaged(input, entity, () => once(() => intercom.tags()));
      case 'teams':
        return exportPaged(input, entity, () => once(() => intercom.teams()));
      case 'admins':
        return exportPaged(input, entity, () => once(() => intercom.admins()));
      case 'macros':
        return exportPaged(input, entity, (cursor) => intercom.macroPages(cursor));
      case 'dataAttributes':
        return exportPaged(input, entity, () =>
          once(async () => {
            const models = ['contact', 'company', 'conversation'] as const;
            const lists = await Promise.all(models.map((model) => intercom.dataAttributes(model)));
            return lists.flat();
          }),
        );
      case 'collections':
        return exportPaged(input, entity, (cursor) =>
          numbered(intercom.collectionPages(cursor ? Number(cursor) : 1)),
        );
      case 'articles':
        return exportPaged(input, entity, (cursor) =>
          numbered(intercom.articlePages(cursor ? Number(cursor) : 1)),
        );
      case 'conversations':
        return exportConversations({ input });
    }
  }

  /**
   * Companies come through Intercom's scroll: one scroll per app, expiring after a minute idle, a
   * 500 meaning start over. A restart re-reads from the beginning, so ids already written are skipped.
   */
  async function exportCompanies(input: MigrationInput): Promise<EntityExportResult> {
    const store = deps.store(input);
    const dir = blobKeys.entityDir(input.account, 'companies');
    const intercom = deps.intercom(input);
    const checkpoint: PagedCheckpoint = { chunkIndex: 0, count: 0, truncated: undefined, restarts: 0 };
    const seen = new Set<string>();
    const chunks: ChunkRef[] = [];
    for await (const page of intercom.companyScroll()) {
      if (page.restarted) checkpoint.restarts++;
      const fresh = page.items.filter((company) => !seen.has(company.id));
      for (const company of fresh) seen.add(company.id);
      if (fresh.length === 0) continue;
      checkpoint.chunkIndex++;
      chunks.push(await writeChunk(store, chunkKey(dir, checkpoint.chunkIndex), fresh));
      Context.current().heartbeat({ companies: seen.size });
    }
    const manifest = manifestOf('companies', checkpoint, chunks, true);
    const manifestKey = await writeManifest(store, dir, manifest);
    return {
      entity: 'companies',
      count: manifest.count,
      chunks: chunks.length,
      manifestKey,
      restarts: checkpoint.restarts,
    };
  }

  /**
   * Conversations: the list carries no parts, so every conversation is fetched whole. Each written
   * chunk is handed to the rehosting child straight away, while its signed links are fresh.
   */
  async function exportConversations({ input, rehostWorkflowId }: ExportArgs): Promise<EntityExportResult> {
    const intercom = deps.intercom(input);
    const limit = input.import.limit;
    let listed = 0;
    return exportPaged<Conversation>(
      input,
      'conversations',
      async function* (cursor) {
        for await (const page of intercom.conversationPages(cursor, input.export.pageSize)) {
          let items: ConversationListItem[] = page.items;
          if (limit > 0) items = items.slice(0, Math.max(0, limit - listed));
          listed += items.length;
          const full = await mapInOrder(items, 4, (item) => intercom.getConversation(item.id));
          const reachedLimit = limit > 0 && listed >= limit;
          yield { items: full, next: reachedLimit ? undefined : page.next };
          if (reachedLimit) return;
        }
      },
      async (conversations, ref, checkpoint) => {
        for (const conversation of conversations) {
          const returned = conversation.conversation_parts?.conversation_parts.length ?? 0;
          const total = conversation.statistics?.count_conversation_parts ?? returned;
          if (total > returned) {
            checkpoint.truncated?.push({
              conversationId: conversation.id,
              returnedParts: returned,
              totalParts: total,
            });
          }
        }
        if (rehostWorkflowId && deps.temporal && conversations.some(hasAttachments)) {
          await deps.temporal.workflow
            .getHandle(rehostWorkflowId)
            .signal(attachmentsFoundSignal, { chunkKey: ref.key });
        }
      },
    );
  }

  /**
   * The parallel run's delta: conversations updated since the last high-water mark (the window
   * overlaps, because Intercom's search cursor can skip or repeat items updated while paging),
   * deduplicated by id, plus the contacts they refer to and the deletions since.
   */
  async function exportDelta(args: DeltaExportArgs): Promise<DeltaExportResult> {
    const { input } = args;
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const dir = `${blobKeys.root(input.account)}/delta/${args.runKey}`;
    const convDir = `${dir}/conversations`;
    const contactDir = `${dir}/contacts`;
    const seen = new Set<string>();
    const contactIds = new Set<string>();
    const chunks: ChunkRef[] = [];
    let highWater = args.since;
    for await (const page of intercom.searchConversationsUpdatedSince(
      args.since,
      undefined,
      input.export.pageSize,
    )) {
      const fresh = page.items.filter((c) => !seen.has(c.id) && c.updated_at <= args.until);
      for (const c of fresh) seen.add(c.id);
      if (fresh.length === 0) continue;
      const full = await mapInOrder(fresh, 4, (item) => intercom.getConversation(item.id));
      for (const c of full) {
        highWater = Math.max(highWater, c.updated_at);
        for (const contact of c.contacts?.contacts ?? []) contactIds.add(contact.id);
      }
      chunks.push(await writeChunk(store, chunkKey(convDir, chunks.length + 1), full));
      Context.current().heartbeat({ conversations: seen.size });
    }
    const contactChunks: ChunkRef[] = [];
    const ids = [...contactIds];
    for (let i = 0; i < ids.length; i += 100) {
      const contacts = await mapInOrder(ids.slice(i, i + 100), 4, (id) => intercom.getContact(id));
      contactChunks.push(await writeChunk(store, chunkKey(contactDir, contactChunks.length + 1), contacts));
    }
    const deleted = await intercom.deletedConversationIdsSince(args.since);
    const now = new Date().toISOString();
    const manifestKey = await writeManifest(store, convDir, {
      entity: 'conversations',
      count: seen.size,
      chunks,
      complete: true,
      exportedAt: now,
    });
    const contactsManifestKey = await writeManifest(store, contactDir, {
      entity: 'contacts',
      count: ids.length,
      chunks: contactChunks,
      complete: true,
      exportedAt: now,
    });
    if (deleted.length)
      await writeChunk(
        store,
        `${dir}/deleted.jsonl`,
        deleted.map((id) => ({ id })),
      );
    return {
      count: seen.size,
      manifestKey,
      contactsManifestKey,
      deletedCount: deleted.length,
      highWater: Math.max(highWater, args.until),
    };
  }

  /** Cut-over: every exported conversation gets the "migrated-to-chatwoot" tag in Intercom. */
  async function tagMigratedInIntercom({ input }: { input: MigrationInput }): Promise<number> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const tag = await intercom.createTag('migrated-to-chatwoot');
    const admins = await intercom.admins();
    const adminId = admins[0]?.id;
    if (!adminId)
      throw Object.assign(new Error('Intercom has no admin to tag conversations as'), {
        name: 'InvalidData',
      });
    const manifest = await readManifest(
      store,
      `${blobKeys.entityDir(input.account, 'conversations')}/manifest.json`,
    );
    const done = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    let index = 0;
    for await (const conversation of recordsOf<Conversation>(store, manifest)) {
      index++;
      if (index <= done) continue;
      await intercom.tagConversation(conversation.id, tag.id, adminId);
      Context.current().heartbeat(index);
    }
    return index;
  }

  /** Only after the retentionDecision "delete": removes the migrated contacts (and their data) from Intercom. */
  async function deleteIntercomData({ input }: { input: MigrationInput }): Promise<number> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const manifest = await readManifest(
      store,
      `${blobKeys.entityDir(input.account, 'contacts')}/manifest.json`,
    );
    const done = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    let index = 0;
    for await (const contact of recordsOf<{ id: string }>(store, manifest)) {
      index++;
      if (index <= done) continue;
      await intercom.deleteContact(contact.id);
      Context.current().heartbeat(index);
    }
    return index;
  }

  return { exportEntity, exportConversations, exportDelta, tagMigratedInIntercom, deleteIntercomData };
}
