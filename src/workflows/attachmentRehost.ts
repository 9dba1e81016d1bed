/**
 * Attachment rehosting: finds conversation chunks as the export writes them (it lists the export's
 * partial manifest every few seconds) and downloads their signed attachment links into the blob store
 * at once, a few chunks at a time. Finishes when the export says it is done and a last look finds
 * nothing new. Continues as new on long exports so its history stays small.
 *
 * Histories recorded before the listing existed were fed by signals from the export activity; they
 * replay through the same loop without the listing (patch REHOST_LISTS_CHUNKS).
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttachmentActivities } from '../activities/attachments/rehost.js';
import { addRehostResult, emptyRehostResult, type RehostResult } from '../activities/contract.js';
import { type MigrationInput, workflowIds } from '../config.js';
import { blobLayout } from '../storage/layout.js';
import { localWorkOptions, proxyOn } from './activityOptions.js';
import { attachmentsFoundSignal, childProgressSignal, exportFinishedSignal } from './definitions.js';
import {
  EXPORT_REPORTS_PROGRESS,
  type ExportProgressCarry,
  exportReport,
  newExportProgressCarry,
} from './exportProgress.js';

const { rehostAttachments, findChunksToRehost, rehostTicketAttachments, findTicketChunksToRehost } =
  proxyOn<AttachmentActivities>(localWorkOptions);

const CONCURRENT_CHUNKS = 4;
const CHUNKS_PER_RUN = 400;
/** Signed links last about 30 minutes: a few seconds' delay before a chunk is seen costs nothing. */
const LISTING_INTERVAL = '5 seconds';
/**
 * Since this patch the listing looks after 1 s, then doubles its interval up to LISTING_INTERVAL
 * while it finds nothing new, and looks after 1 s again once it finds a chunk. The import follows the
 * export chunk by chunk once a chunk is rehosted, so the first listing's 5 s kept Chatwoot idle
 * (issue 15: the realistic bench's first conversation chunk, written a second into the export, was
 * seen at 5 s). In steady state a chunk is written every few seconds: a few listings a chunk.
 */
export const REHOST_LISTS_SOONER = 'rehost-lists-sooner';
const SOONEST_LISTING_MS = 1000;
const LISTING_INTERVAL_MS = 5000;
export const REHOST_LISTS_CHUNKS = 'rehost-lists-written-chunks';
const REHOST_LISTS_CHUNKS_AT_END = 'rehost-lists-written-chunks-at-end';
/** The export's ticket chunks are listed and rehosted too (their parts carry signed links). */
export const REHOST_TICKETS = 'rehost-tickets';

export interface AttachmentRehostArgs {
  input: MigrationInput;
  pending?: string[];
  /** Chunks already handed over: a retried export activity may signal a chunk twice. */
  seen?: string[];
  finished?: boolean;
  totals?: RehostResult;
  /** Chunks of the export's manifest already looked at (carried over continue-as-new). */
  listed?: number;
  /** Likewise for the tickets' manifest (REHOST_TICKETS). */
  listedTickets?: number;
  /** Carried over continue-as-new: the export's progress reports (EXPORT_REPORTS_PROGRESS). */
  progress?: ExportProgressCarry;
}

export async function attachmentRehost(args: AttachmentRehostArgs): Promise<RehostResult> {
  const pending = [...(args.pending ?? [])];
  let finished = args.finished ?? false;
  const totals = args.totals ?? emptyRehostResult();
  const seen = new Set(args.seen ?? []);
  let inFlight = 0;
  let processedThisRun = 0;
  let listed = args.listed ?? 0;
  let listedTickets = args.listedTickets ?? 0;
  const tickets = patched(REHOST_TICKETS);
  let listedAfterFinish = false;
  let lists = patched(REHOST_LISTS_CHUNKS);
  // Only under a migration's own export: the figures go to the migration's page.
  const migrationId = workflowIds.migration(args.input.account);
  const reportsTo =
    workflowInfo().parent?.workflowId === workflowIds.child(args.input.account, 'export') &&
    patched(EXPORT_REPORTS_PROGRESS)
      ? migrationId
      : undefined;
  const progress = args.progress ?? newExportProgressCarry(Date.now());
  let reporting: Promise<void> = Promise.resolve();

  const add = (chunkKey: string) => {
    if (seen.has(chunkKey)) return;
    seen.add(chunkKey);
    pending.push(chunkKey);
  };
  // Sent only by export activities of histories recorded before the listing existed.
  setHandler(attachmentsFoundSignal, ({ chunkKey }) => add(chunkKey));
  setHandler(exportFinishedSignal, () => {
    finished = true;
  });
  const sooner = patched(REHOST_LISTS_SOONER);
  let intervalMs = SOONEST_LISTING_MS;
  const list = async () => {
    const finishedBefore = finished;
    const found = await findChunksToRehost({ input: args.input }, listed);
    listed = found.written;
    for (const chunkKey of found.chunkKeys) add(chunkKey);
    intervalMs =
      found.chunkKeys.length > 0 ? SOONEST_LISTING_MS : Math.min(LISTING_INTERVAL_MS, intervalMs * 2);
    const report =
      reportsTo && found.exported ? exportReport(progress, found.exported, Date.now()) : undefined;
    if (reportsTo && report) {
      // Chained, so that reports arrive in order; a lost one is replaced by the next.
      reporting = reporting
        .then(() => getExternalWorkflowHandle(reportsTo).signal(childProgressSignal, { export: report }))
        .catch((error) => log.warn('could not report the export to the migration', { error: String(error) }));
    }
    if (tickets) {
      const foundTickets = await findTicketChunksToRehost({ input: args.input }, listedTickets);
      listedTickets = foundTickets.written;
      for (const chunkKey of foundTickets.chunkKeys) add(chunkKey);
    }
    // Only a listing begun after the export finished is sure to have seen its last chunk.
    if (finishedBefore) listedAfterFinish = true;
  };

  const work: Promise<void>[] = [];
  const runOne = async (chunkKey: string) => {
    inFlight++;
    try {
      const rehost = blobLayout.isTicketChunk(chunkKey) ? rehostTicketAttachments : rehostAttachments;
      const result = await rehost({ input: args.input, chunkKey });
      addRehostResult(totals, result);
    } finally {
      inFlight--;
    }
  };

  for (;;) {
    const ready = () =>
      (pending.length > 0 && inFlight < CONCURRENT_CHUNKS) || (finished && pending.length === 0);
    const woken = lists
      ? await condition(ready, sooner ? intervalMs : LISTING_INTERVAL)
      : await condition(ready).then(() => true);
    if (lists && (!woken || (finished && !listedAfterFinish))) {
      await list();
      continue;
    }
    if (pending.length === 0) {
      // A migration whose export was upgraded mid-way lost its signals: one listing at the end finds
      // the chunks that were never handed over. Old histories replay past this without the patch.
      if (!lists && patched(REHOST_LISTS_CHUNKS_AT_END)) {
        lists = true;
        continue;
      }
      break;
    }
    if (processedThisRun >= CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(() => inFlight === 0);
      await reporting;
      await continueAsNew<typeof attachmentRehost>({
        input: args.input,
        pending,
        seen: [...seen],
        finished,
        totals,
        listed,
        listedTickets,
        ...(reportsTo ? { progress } : {}),
      });
    }
    const chunkKey = pending.shift() as string;
    processedThisRun++;
    work.push(runOne(chunkKey));
  }
  await Promise.all(work);
  await reporting;
  return totals;
}
