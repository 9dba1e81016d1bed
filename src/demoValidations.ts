/**
 * The demo's line about what Chatwoot would have refused as it was: tags whose names are not valid
 * label titles (and tags merged into one label), and conversation and ticket attributes cut to fit or
 * stored as strings, from the verification's report.
 */
import type { ReconciliationReport } from './activities/verification/chatwootWrites.js';
import { type BlobStore, getJson } from './storage/blobStore.js';
import { blobLayout } from './storage/layout.js';

export async function validationsLine(store: BlobStore, account: number): Promise<string> {
  const report = await getJson<ReconciliationReport>(store, blobLayout.report(account));
  if (!report) return 'no verification report';
  const tags = report.labels.reduce((sum, label) => sum + label.tags.length, 0);
  const merged = report.labelMerges.map((merge) => `${merge.title} <- ${merge.tags.join(' + ')}`);
  // Conversations' and tickets' alike: both are conversations to Chatwoot's validator.
  const adjustments = [...report.attributeAdjustments, ...(report.tickets?.attributeAdjustments ?? [])];
  const cut = adjustments.filter((a) => a.change === 'truncated').length;
  const stringified = adjustments.length - cut;
  return (
    `labels: ${tags} tags -> ${report.labels.length} labels` +
    (merged.length ? ` (merged: ${merged.join('; ')})` : '') +
    `; attributes cut to 1,500 characters, kept whole in private notes: ${cut}; integers stored as strings: ${stringified}`
  );
}
