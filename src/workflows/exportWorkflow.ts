/**
 * Export: every Intercom entity streamed to the blob store as JSONL chunks with manifests. The
 * attachment rehosting child starts first and finds each conversation chunk within seconds of its
 * writing, while its signed links are fresh (they expire in about 30 minutes).
 */
import { patched, startChild, workflowInfo } from '@temporalio/workflow';
import type { EntityExportResult, ExportEntityName, RehostResult } from '../activities/contract.js';
import type { ExportActivities } from '../activities/export/intercomReads.js';
import type { ExportManifestActivities } from '../activities/export/manifest.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';
import { attachmentRehost, REHOST_LISTS_CHUNKS } from './attachmentRehost.js';
import { exportFinishedSignal } from './definitions.js';

const intercom = proxyOn<ExportActivities>(intercomExportOptions);
const bookkeeping = proxyOn<ExportManifestActivities>(shortOptions);

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
  entities: EntityExportResult[];
  attachments: RehostResult;
  manifestKey: string;
}

export async function exportWorkflow({ input }: { input: MigrationInput }): Promise<ExportWorkflowResult> {
  const startedAt = Math.floor(workflowInfo().startTime.getTime() / 1000);
  const rehostWorkflowId = workflowIds.child(input.account, 'attachments');
  const rehost = await startChild(attachmentRehost, { workflowId: rehostWorkflowId, args: [{ input }] });
  const listsChunks = patched(REHOST_LISTS_CHUNKS);

  const [entities, conversations] = await Promise.all([
    Promise.all(SIMPLE_ENTITIES.map((entity) => intercom.exportEntity({ input }, entity))),
    // Since REHOST_LISTS_CHUNKS the rehosting child finds the chunks itself.
    intercom.exportConversations(listsChunks ? { input } : { input, rehostWorkflowId }),
  ]);
  await rehost.signal(exportFinishedSignal);
  const attachments = await rehost.result();

  const all = [...entities, conversations];
  const manifestKey = await bookkeeping.writeExportManifest({ input }, all, startedAt);
  const contacts = entities.find((e) => e.entity === 'contacts')?.count ?? 0;
  return { startedAt, contacts, conversations, entities, attachments, manifestKey };
}
