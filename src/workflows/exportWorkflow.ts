/**
 * Export: every Intercom entity streamed to the blob store as JSONL chunks with manifests. The
 * attachment rehosting child starts first and finds each conversation chunk within seconds of its
 * writing, while its signed links are fresh (they expire in about 30 minutes).
 */
import { patched, startChild, workflowInfo } from '@temporalio/workflow';
import type { EntityExportResult, ExportEntityName, RehostResult } from '../activities/contract.js';
import type { ExportActivities } from '../activities/export/intercomReads.js';
import type { ExportManifestActivities } from '../activities/export/manifest.js';
import type { MergedContactActivities } from '../activities/export/mergedContacts.js';
import type { TicketExportActivities } from '../activities/export/tickets.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';
import { attachmentRehost, REHOST_LISTS_CHUNKS } from './attachmentRehost.js';
import { exportFinishedSignal } from './definitions.js';

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

export async function exportWorkflow({ input }: { input: MigrationInput }): Promise<ExportWorkflowResult> {
  const startedAt = Math.floor(workflowInfo().startTime.getTime() / 1000);
  const rehostWorkflowId = workflowIds.child(input.account, 'attachments');
  const rehost = await startChild(attachmentRehost, { workflowId: rehostWorkflowId, args: [{ input }] });
  const listsChunks = patched(REHOST_LISTS_CHUNKS);

  const withTickets = patched(EXPORT_TICKETS);
  const [entities, conversations, ticketResults] = await Promise.all([
    Promise.all(SIMPLE_ENTITIES.map((entity) => intercom.exportEntity({ input }, entity))),
    // Since REHOST_LISTS_CHUNKS the rehosting child finds the chunks itself.
    intercom.exportConversations(listsChunks ? { input } : { input, rehostWorkflowId }),
    withTickets
      ? Promise.all([ticketReads.exportTicketTypes({ input }), ticketReads.exportTickets({ input })])
      : undefined,
  ]);
  await rehost.signal(exportFinishedSignal);
  const merged = patched(FOLLOW_MERGED_CONTACTS)
    ? mergedContacts.resolveMergedContacts({ input })
    : undefined;
  const attachments = await rehost.result();
  await merged;

  const tickets = ticketResults?.[1];
  const all = [...entities, conversations, ...(ticketResults ? [...ticketResults[0], ticketResults[1]] : [])];
  const manifestKey = await bookkeeping.writeExportManifest({ input }, all, startedAt);
  const contacts = entities.find((e) => e.entity === 'contacts')?.count ?? 0;
  return { startedAt, contacts, conversations, tickets, entities, attachments, manifestKey };
}
