/**
 * Attachment rehosting: receives conversation chunks from the export as they are written and
 * downloads their signed attachment links into the blob store at once, a few chunks at a time.
 * Finishes when the export says it is done and nothing is left. Continues as new on long exports
 * so its history stays small.
 */
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RehostResult } from '../activities/contract.js';
import type * as activities from '../activities/index.js';
import type { MigrationInput } from '../config.js';
import { localWorkOptions } from './activityOptions.js';
import { attachmentsFoundSignal, exportFinishedSignal } from './definitions.js';

type Activities = ReturnType<typeof activities.createActivities>;
const { rehostAttachments } = proxyActivities<Activities>(localWorkOptions);

const CONCURRENT_CHUNKS = 4;
const CHUNKS_PER_RUN = 400;

export interface AttachmentRehostArgs {
  input: MigrationInput;
  pending?: string[];
  /** Chunks already handed over: a retried export activity may signal a chunk twice. */
  seen?: string[];
  finished?: boolean;
  totals?: RehostResult;
}

const emptyTotals = (): RehostResult => ({
  attachments: 0,
  downloaded: 0,
  alreadyStored: 0,
  refreshed: 0,
  failed: 0,
  bytes: 0,
});

export async function attachmentRehost(args: AttachmentRehostArgs): Promise<RehostResult> {
  const pending = [...(args.pending ?? [])];
  let finished = args.finished ?? false;
  const totals = args.totals ?? emptyTotals();
  const seen = new Set(args.seen ?? []);
  let inFlight = 0;
  let processedThisRun = 0;

  setHandler(attachmentsFoundSignal, ({ chunkKey }) => {
    if (seen.has(chunkKey)) return;
    seen.add(chunkKey);
    pending.push(chunkKey);
  });
  setHandler(exportFinishedSignal, () => {
    finished = true;
  });

  const work: Promise<void>[] = [];
  const runOne = async (chunkKey: string) => {
    inFlight++;
    try {
      const result = await rehostAttachments({ input: args.input, chunkKey });
      for (const key of Object.keys(totals) as (keyof RehostResult)[]) totals[key] += result[key];
    } finally {
      inFlight--;
    }
  };

  for (;;) {
    await condition(
      () => (pending.length > 0 && inFlight < CONCURRENT_CHUNKS) || (finished && pending.length === 0),
    );
    if (pending.length === 0) break;
    if (processedThisRun >= CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(() => inFlight === 0);
      await continueAsNew<typeof attachmentRehost>({
        input: args.input,
        pending,
        seen: [...seen],
        finished,
        totals,
      });
    }
    const chunkKey = pending.shift() as string;
    processedThisRun++;
    work.push(runOne(chunkKey));
  }
  await Promise.all(work);
  return totals;
}
