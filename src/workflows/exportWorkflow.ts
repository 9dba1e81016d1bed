/**
 * Export: every Intercom entity streamed to the blob store as JSONL chunks with manifests. The
 * attachment rehosting child starts first so that each conversation chunk's signed links are handed
 * to it the moment the chunk is written (they expire in about 30 minutes).
 */
import { proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { EntityExportResult, ExportEntityName, RehostResult } from '../activities/contract.js';
import type * as activities from '../activities/index.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { intercomExportOptions, shortOptions } from './activityOptions.js';
import { attachmentRehost } from './attachmentRehost.js';
import { exportFinishedSignal } from './definitions.js';

type Activities = ReturnType<typeof activities.createActivities>;
const intercom = proxyActivities<Activities>(intercomExportOptions);
const bookkeeping = proxyActivities<Activities>(shortOptions);

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

  const [entities, conversations] = await Promise.all([
    Promise.all(SIMPLE_ENTITIES.map((entity) => intercom.exportEntity({ input }, entity))),
    intercom.exportConversations({ input, rehostWorkflowId }),
  ]);
  await rehost.signal(exportFinishedSignal);
  const attachments = await rehost.result();

  const all = [...entities, conversations];
  const manifestKey = await bookkeeping.writeExportManifest({ input }, all, startedAt);
  const contacts = entities.find((e) => e.entity === 'contacts')?.count ?? 0;
  return { startedAt, contacts, conversations, entities, attachments, manifestKey };
}
