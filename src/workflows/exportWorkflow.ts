/**
 * Export: every Intercom entity streamed to the blob store as JSONL chunks with manifests. The
 * attachment rehosting child starts first and finds each conversation chunk within seconds of its
 * writing, while its signed links are fresh (they expire in about 30 minutes).
 */
import { getExternalWorkflowHandle, log, patched, startChild, workflowInfo } from '@temporalio/workflow';
import type { EntityExportResult, ExportEntityName, RehostResult } from '../activities/contract.js';
import type { ExportActivities } from '../activities/export/intercomReads.js';
import type { ExportManifestActivities } from '../activities/export/manifest.js';
import type { MergedContactActivities } from '../activities/export/mergedContacts.js';
import type { TicketExportActivities } from '../activities/export/tickets.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';
import { attachmentRehost, REHOST_LISTS_CHUNKS } from './attachmentRehost.js';
import { entitiesExportedSignal, exportFinishedSignal } from './definitions.js';

const intercom = proxyOn<ExportActivities>(intercomExportOptions);
const bookkeeping = proxyOn<ExportManifestActivities>(shortOptions);
const ticketReads = proxyOn<TicketExportActivities>(intercomExportOptions);
const mergedContacts = proxyOn<MergedContactActivities>(intercomExportOptions);

/**
 * Since this patch, contacts that conversations name but GET /contacts does not list are looked up
 * once, and those Intercom merged (410 contact_merged) are recorded so the import follows the merge.
 */
export const FOLLOW_MERGED_CONTACTS = 'export-follows-merged-contacts';

/** Tickets (and their types and states) are exported since this patch; older histories have none. */
export const EXPORT_TICKETS = 'export-tickets';

const SIMPLE_ENTITIES: ExportEntityName[] = [
  'contacts',
  'companies',
  'tags',
  'teams',
  'admins',
  'macros',
  'dataAttributes',
  'collections',
  'articles',
];

export interface ExportWorkflowResult {
  /** Unix seconds when the export began: the delta sync's first high-water mark. */
  startedAt: number;
  contacts: number;
  conversations: EntityExportResult;
  /** Absent in exports that ran before tickets were exported (EXPORT_TICKETS). */
  tickets?: EntityExportResult;
  entities: EntityExportResult[];
  attachments: RehostResult;
  manifestKey: string;
}

/**
 * Since this patch a migration's import follows its export: the export tells the migration as soon as
 * the entities the mapping needs, then the contacts and companies, are exported; the conversations'
 * merged contacts are resolved chunk by chunk by the import (resolveMergedContactsInChunk).
 */
export const IMPORT_FOLLOWS_EXPORT = 'import-follows-export';

/** What the mapping reads (setup/chatwootWrites.ts, setup/tickets.ts); the ticket types come with them. */
export const MAPPING_ENTITIES: ExportEntityName[] = [
  'tags',
  'teams',
  'admins',
  'macros',
  'dataAttributes',
  'collections',
  'articles',
];
/** What the contacts' import reads: the contacts, and the companies and tags they name. */
export const CONTACT_ENTITIES: ExportEntityName[] = ['contacts', 'companies'];

export interface ExportWorkflowArgs {
  input: MigrationInput;
  /** Set by a migration whose import follows the export (IMPORT_FOLLOWS_EXPORT): signal it as entities finish. */
  notifyParent?: boolean;
}

export async function exportWorkflow({
  input,
  notifyParent,
}: ExportWorkflowArgs): Promise<ExportWorkflowResult> {
  const startedAt = Math.floor(workflowInfo().startTime.getTime() / 1000);
  const rehostWorkflowId = workflowIds.child(input.account, 'attachments');
  const rehost = await startChild(attachmentRehost, { workflowId: rehostWorkflowId, args: [{ input }] });
  const listsChunks = patched(REHOST_LISTS_CHUNKS);
  const follows = notifyParent === true && patched(IMPORT_FOLLOWS_EXPORT);

  const withTickets = patched(EXPORT_TICKETS);
  const exportTicketTypes = () => ticketReads.exportTicketTypes({ input });
  let entities: EntityExportResult[];
  let conversations: EntityExportResult;
  let ticketResults: [EntityExportResult[], EntityExportResult] | undefined;
  if (follows) {
    const tellParent = async (done: EntityExportResult[]) => {
      const parent = workflowInfo().parent;
      if (!parent) return;
      try {
        await getExternalWorkflowHandle(parent.workflowId).signal(entitiesExportedSignal, { entities: done });
      } catch (error) {
        // The migration has closed (its children close with it): nobody is left to tell.
        log.warn('could not tell the migration what is exported', { error: String(error) });
      }
    };
    const group = async (names: ExportEntityName[], more?: () => Promise<EntityExportResult[]>) => {
      const [done, extra] = await Promise.all([
        Promise.all(names.map((entity) => intercom.exportEntity({ input }, entity))),
        more ? more() : [],
      ]);
      await tellParent([...done, ...extra]);
      return { done, extra };
    };
    const [forMapping, forContacts, exportedConversations, tickets] = await Promise.all([
      group(MAPPING_ENTITIES, withTickets ? exportTicketTypes : undefined),
      group(CONTACT_ENTITIES),
      intercom.exportConversations({ input }),
      withTickets ? ticketReads.exportTickets({ input }) : undefined,
    ]);
    const byName = new Map([...forMapping.done, ...forContacts.done].map((e) => [e.entity, e]));
    entities = SIMPLE_ENTITIES.map((entity) => byName.get(entity) as EntityExportResult);
    conversations = exportedConversations;
    ticketResults = tickets ? [forMapping.extra, tickets] : undefined;
  } else {
    [entities, conversations, ticketResults] = await Promise.all([
      Promise.all(SIMPLE_ENTITIES.map((entity) => intercom.exportEntity({ input }, entity))),
      // Since REHOST_LISTS_CHUNKS the rehosting child finds the chunks itself.
      intercom.exportConversations(listsChunks ? { input } : { input, rehostWorkflowId }),
      withTickets ? Promise.all([exportTicketTypes(), ticketReads.exportTickets({ input })]) : undefined,
    ]);
  }
  await rehost.signal(exportFinishedSignal);
  // An import that follows the export resolves them chunk by chunk, before each chunk.
  const merged =
    !follows && patched(FOLLOW_MERGED_CONTACTS) ? mergedContacts.resolveMergedContacts({ input }) : undefined;
  const attachments = await rehost.result();
  await merged;

  const tickets = ticketResults?.[1];
  const all = [...entities, conversations, ...(ticketResults ? [...ticketResults[0], ticketResults[1]] : [])];
  const manifestKey = await bookkeeping.writeExportManifest({ input }, all, startedAt);
  const contacts = entities.find((e) => e.entity === 'contacts')?.count ?? 0;
  return { startedAt, contacts, conversations, tickets, entities, attachments, manifestKey };
}
