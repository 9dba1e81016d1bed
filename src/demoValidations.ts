/**
 * The demo's line about what Chatwoot would have refused as it was: tags whose names are not valid
 * label titles (and tags merged into one label), and conversation attributes cut to fit, from the
 * verification's report.
 */
import type { ReconciliationReport } from './activities/verification/chatwootWrites.js';
import { type BlobStore, getJson } from './storage/blobStore.js';
import { blobLayout } from './storage/layout.js';

export async function validationsLine(store: BlobStore, account: number): Promise<string> {
  const report = await getJson<ReconciliationReport>(store, blobLayout.report(account));
  if (!report) return 'no verification report';
  const tags = report.labels.reduce((sum, label) => sum + label.tags.length, 0);
  const merged = report.labelMerges.map((merge) => `${merge.title} <- ${merge.tags.join(' + ')}`);
  const cut = report.attributeAdjustments.filter((a) => a.change === 'truncated').length;
  const stringified = report.attributeAdjustments.length - cut;
  return (
    `labels: ${tags} tags -> ${report.labels.length} labels` +
    (merged.length ? ` (merged: ${merged.join('; ')})` : '') +
    `; attributes cut to 1,500 characters, kept whole in private notes: ${cut}; integers stored as strings: ${stringified}`
  );
}
