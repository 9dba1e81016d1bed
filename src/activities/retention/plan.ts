/**
 * The retention deletion's plan and progress in the blob store, shared by the Intercom deletion
 * (intercom-reads queue) and the snapshot deletion (migration queue).
 *
 * The plan fixes, before anything is deleted, the ordered list of what each place will delete (unique
 * Intercom ids; snapshot keys), so a position means the same item in every attempt and after a
 * continue-as-new. The progress blob of a place is written before each item is deleted, with the
 * counts of the items before it: after a worker dies, the next attempt starts at that item and knows
 * its request may have been sent already. Neither holds personal data beyond ids and keys, and the
 * plan is removed when the decision is done.
 */
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { emptyProgress, type PlaceProgress, type RetentionPlace } from './scope.js';

export const PLAN_PART_SIZE = 1000;

export interface PlanManifest {
  place: RetentionPlace;
  total: number;
  parts: number;
  plannedAt: string;
}

/** The progress blob: the workflow's PlaceProgress plus what an attempt needs to resume exactly. */
export interface StoredProgress extends PlaceProgress {
  /** The item at `position` may have been sent by an attempt that then stopped. */
  inFlight?: boolean;
  /**
   * Snapshot batches: positions [position, batchEnd) checked before any is deleted; `present` lists
   * which of them existed, so a resumed batch counts exactly the same whatever it finds.
   */
  batchEnd?: number;
  present?: number[];
}

export async function writePlan(
  store: BlobStore,
  account: number,
  place: RetentionPlace,
  items: readonly string[],
): Promise<PlanManifest> {
  const parts = Math.ceil(items.length / PLAN_PART_SIZE);
  for (let index = 0; index < parts; index++) {
    await putJson(
      store,
      blobLayout.retentionPlanPart(account, place, index + 1),
      items.slice(index * PLAN_PART_SIZE, (index + 1) * PLAN_PART_SIZE),
    );
  }
  // Last: a plan counts only once its manifest exists, so a half-written one is written again.
  const manifest: PlanManifest = { place, total: items.length, parts, plannedAt: new Date().toISOString() };
  await putJson(store, blobLayout.retentionPlanManifest(account, place), manifest);
  return manifest;
}

export function readPlanManifest(
  store: BlobStore,
  account: number,
  place: RetentionPlace,
): Promise<PlanManifest | undefined> {
  return getJson<PlanManifest>(store, blobLayout.retentionPlanManifest(account, place));
}

/** The planned items at positions [from, to). */
export async function planSlice(
  store: BlobStore,
  account: number,
  place: RetentionPlace,
  from: number,
  to: number,
): Promise<string[]> {
  const items: string[] = [];
  for (let part = Math.floor(from / PLAN_PART_SIZE); part * PLAN_PART_SIZE < to; part++) {
    const key = blobLayout.retentionPlanPart(account, place, part + 1);
    const list = await getJson<string[]>(store, key);
    if (!list) throw new Error(`the retention plan part ${key} is missing`);
    const start = part * PLAN_PART_SIZE;
    for (let i = Math.max(from, start); i < Math.min(to, start + list.length); i++) {
      items.push(list[i - start] as string);
    }
  }
  return items;
}

export async function readProgress(
  store: BlobStore,
  account: number,
  place: RetentionPlace,
  total: number,
): Promise<StoredProgress> {
  const stored = await getJson<StoredProgress>(store, blobLayout.retentionProgress(account, place));
  return stored ?? { ...emptyProgress(place), total };
}

export function writeProgress(store: BlobStore, account: number, progress: StoredProgress): Promise<unknown> {
  return putJson(store, blobLayout.retentionProgress(account, progress.place), progress);
}

/** What the workflow keeps of a stored progress: counts and positions. */
export function publicProgress(stored: StoredProgress): PlaceProgress {
  const { inFlight: _inFlight, batchEnd: _batchEnd, present: _present, ...progress } = stored;
  return progress;
}
