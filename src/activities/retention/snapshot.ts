/**
 * The retention decision's blob-store side, on the migration queue: planning what each place will
 * delete, deleting the project's snapshot of the account in resumable batches, and the report.
 *
 * The snapshot is everything under acct-<account>/ except the retention folder (its report and
 * progress hold counts, no personal data). A batch first records which of its objects exist, then
 * deletes them: a batch resumed after a dead worker counts exactly what the first attempt found.
 */
import { Context } from '@temporalio/activity';
import { type MigrationInput, taskQueues } from '../../config.js';
import { putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import {
  type PlanManifest,
  planSlice,
  publicProgress,
  readPlanManifest,
  readProgress,
  writePlan,
  writeProgress,
} from './plan.js';
import {
  type PlaceProgress,
  type RetentionPlace,
  type RetentionReport,
  renderRetentionReport,
} from './scope.js';

export const retentionStoreQueue = taskQueues.main;

const invalidData = (message: string) => Object.assign(new Error(message), { name: 'InvalidData' });

export function createRetentionStoreActivities(deps: ActivityDeps) {
  /** Ids of one Intercom entity: the export's, its rejected conversations, then each delta's; unique. */
  async function intercomIds(input: MigrationInput, entity: 'contacts' | 'conversations'): Promise<string[]> {
    const store = deps.store(input);
    const manifestKey = blobLayout.entityManifest(input.account, entity);
    if (!(await store.exists(manifestKey))) {
      throw invalidData(
        `the export's ${entity} manifest ${manifestKey} is missing: the snapshot holding the Intercom ids ` +
          'is gone (or was never written), so the Intercom data cannot be found from here',
      );
    }
    const ids = new Set<string>();
    const manifest = await readManifest(store, manifestKey);
    for await (const record of recordsOf<{ id: string }>(store, manifest)) ids.add(record.id);
    for (const rejected of manifest.rejected ?? []) ids.add(rejected.conversationId);
    const deltaManifests: string[] = [];
    for await (const key of store.list(blobLayout.deltaPrefix(input.account))) {
      if (blobLayout.isDeltaManifestOf(key, entity)) deltaManifests.push(key);
    }
    for (const key of deltaManifests.sort()) {
      for await (const record of recordsOf<{ id: string }>(store, await readManifest(store, key))) {
        ids.add(record.id);
      }
    }
    return [...ids];
  }

  /** Every object of the account's snapshot, the retention folder excepted. */
  async function snapshotKeys(input: MigrationInput): Promise<string[]> {
    const store = deps.store(input);
    const keep = blobLayout.retentionDir(input.account);
    const keys: string[] = [];
    for await (const key of store.list(blobLayout.accountPrefix(input.account))) {
      if (!key.startsWith(keep)) keys.push(key);
    }
    return keys;
  }

  /**
   * Fixes what a place will delete, once: a plan written before stays as it is, so every attempt and
   * every run after a continue-as-new works through the same list. Returns how many items it holds.
   */
  async function planRetentionDeletion({
    input,
    place,
  }: {
    input: MigrationInput;
    place: RetentionPlace;
  }): Promise<number> {
    const store = deps.store(input);
    const existing = await readPlanManifest(store, input.account, place);
    if (existing) return existing.total;
    const items =
      place === 'snapshot'
        ? await snapshotKeys(input)
        : await intercomIds(input, place === 'intercom-contacts' ? 'contacts' : 'conversations');
    const manifest: PlanManifest = await writePlan(store, input.account, place, items);
    return manifest.total;
  }

  /** Deletes the next batch of the snapshot's planned objects; returns the place's progress. */
  async function deleteSnapshotBatch({
    input,
    maxItems,
  }: {
    input: MigrationInput;
    maxItems: number;
  }): Promise<PlaceProgress> {
    const store = deps.store(input);
    const plan = await readPlanManifest(store, input.account, 'snapshot');
    if (!plan) throw invalidData('the snapshot deletion has no plan: planRetentionDeletion runs first');
    let progress = await readProgress(store, input.account, 'snapshot', plan.total);
    if (progress.done) return publicProgress(progress);
    const from = progress.position;
    if (progress.batchEnd === undefined || progress.present === undefined) {
      const end = Math.min(plan.total, from + maxItems);
      const keys = await planSlice(store, input.account, 'snapshot', from, end);
      const present: number[] = [];
      for (const [offset, key] of keys.entries()) {
        if (await store.exists(key)) present.push(from + offset);
      }
      progress = { ...progress, batchEnd: end, present };
      await writeProgress(store, input.account, progress);
    }
    const end = progress.batchEnd as number;
    const present = progress.present as number[];
    const keys = await planSlice(store, input.account, 'snapshot', from, end);
    for (const position of present) {
      try {
        // Deleting an absent object is harmless in both stores: a resumed batch deletes again.
        await store.delete(keys[position - from] as string);
      } catch (error) {
        // Keys may carry attachment file names: the failure names the position, never the key.
        throw new Error(
          `the blob store failed to delete snapshot object #${position + 1} of ${plan.total}: ` +
            `${(error as Error).name ?? 'Error'}`,
        );
      }
      Context.current().heartbeat(position);
    }
    const { batchEnd: _end, present: _present, ...rest } = progress;
    const finished = {
      ...rest,
      position: end,
      deleted: progress.deleted + present.length,
      alreadyGone: progress.alreadyGone + (end - from - present.length),
      done: end >= plan.total,
    };
    await writeProgress(store, input.account, finished);
    return publicProgress(finished);
  }

  /**
   * Writes the report (JSON and Markdown) beside the progress; once every place is done, removes the
   * plan (ids and keys) and the progress, which the report now sums up.
   */
  async function writeRetentionReport({
    input,
    report,
  }: {
    input: MigrationInput;
    report: RetentionReport;
  }): Promise<string> {
    const store = deps.store(input);
    const key = blobLayout.retentionReport(input.account);
    await putJson(store, key, report);
    await store.put(blobLayout.retentionReportMarkdown(input.account), renderRetentionReport(report), {
      contentType: 'text/markdown',
    });
    if (report.places.every((place) => place.done)) {
      const leftovers: string[] = [];
      for await (const planKey of store.list(blobLayout.retentionPlanDir(input.account))) {
        leftovers.push(planKey);
      }
      for (const place of report.places)
        leftovers.push(blobLayout.retentionProgress(input.account, place.place));
      for (const leftover of leftovers) await store.delete(leftover);
    }
    return key;
  }

  return { planRetentionDeletion, deleteSnapshotBatch, writeRetentionReport };
}

export type RetentionStoreActivities = OnQueue<
  typeof retentionStoreQueue,
  ReturnType<typeof createRetentionStoreActivities>
>;
