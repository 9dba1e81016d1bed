/**
 * The conversations' export as the migration's page shows it (patch EXPORT_REPORTS_PROGRESS): the
 * rehosting child already lists the export's partial manifest every few seconds, so it passes the
 * figures it read (findChunksToRehost's `exported`) to the migration, with a rate measured here.
 * Pure and deterministic (workflow time): the same thresholds as the import's reports, so a ten-hour
 * export adds a few hundred signals to the migration's history, not thousands.
 */
import type { ExportedSoFar } from '../activities/contract.js';
import type { ExportProgressSummary } from './definitions.js';

/** Since this patch the rehosting child reports the export's progress to the migration. */
export const EXPORT_REPORTS_PROGRESS = 'export-reports-progress';

const MIN_INTERVAL_MS = 5_000;
/** Reports after that are at most every 1/200 of the time spent so far. */
const INTERVAL_SHARE = 200;
/** The rate is measured over the last samples (a minute at the shortest interval). */
const SAMPLES = 12;

export interface ExportProgressCarry {
  startedAt: number;
  lastSentAt: number;
  /** What was last sent, so that an unchanged listing sends nothing. */
  lastHandled: number;
  samples: { at: number; handled: number }[];
  completeSent?: boolean;
}

/** Conversations the export has got through: written, left out by the filters, or set aside. */
export const handledSoFar = (e: ExportedSoFar) => e.conversations + e.leftOut + e.rejected;

/**
 * What to send to the migration after a listing, or undefined: nothing changed, or too soon since the
 * last report (the export's end is always sent).
 */
export function exportReport(
  carry: ExportProgressCarry,
  exported: ExportedSoFar,
  now: number,
): ExportProgressSummary | undefined {
  const handled = handledSoFar(exported);
  const interval = Math.max(MIN_INTERVAL_MS, (now - carry.startedAt) / INTERVAL_SHARE);
  if (exported.complete ? carry.completeSent : handled === carry.lastHandled) return undefined;
  if (!exported.complete && now - carry.lastSentAt < interval) return undefined;
  if (exported.complete) carry.completeSent = true;
  carry.lastSentAt = now;
  carry.lastHandled = handled;
  carry.samples.push({ at: now, handled });
  if (carry.samples.length > SAMPLES) carry.samples.shift();
  const first = carry.samples[0] as { at: number; handled: number };
  const perMinute = now > first.at ? ((handled - first.handled) / (now - first.at)) * 60_000 : undefined;
  return { ...exported, ...(perMinute !== undefined ? { perMinute } : {}), at: now };
}

export const newExportProgressCarry = (now: number): ExportProgressCarry => ({
  startedAt: now,
  lastSentAt: 0,
  lastHandled: -1,
  samples: [{ at: now, handled: 0 }],
});
