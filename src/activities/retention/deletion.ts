/**
 * The retention decision carried out in Intercom, on the intercom-reads queue under Intercom's rate.
 *
 * - deleteIntercomData: the first shape of the decision ({"action":"delete"} before the patch
 *   retention-decision-scope), still scheduled by workflows that recorded it: every exported contact,
 *   resumable from its heartbeat (the position in the exported contacts).
 * - deleteIntercomBatch: the next batch of a planned place (retention/plan.ts), contacts or
 *   conversations, one request per item, with the place's progress written before each request.
 *
 * Intercom 2.16 (intercom-openapi.yaml): DELETE /contacts/{contact_id} "You can delete a single
 * contact." and DELETE /conversations/{conversation_id} "Deleting a conversation is permanent and
 * cannot be reversed." Neither documents an answer for an absent id; Intercom answers 404 as its reads
 * do, and 410 contact_merged for a contact merged into another (whose data is then the other's, which
 * the plan holds too when it was exported). Both count as already gone.
 */
import { Context } from '@temporalio/activity';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { IntercomClient } from '../../clients/intercom/client.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { planSlice, publicProgress, readPlanManifest, readProgress, writeProgress } from './plan.js';
import type { PlaceProgress, RetentionPlace } from './scope.js';

export const deletionQueue = taskQueues.intercom;

type Outcome = 'deleted' | 'gone' | 'failed';

/**
 * What one DELETE did. Gone: 404 or 410. Failed: another final 4xx for that item alone. A refused
 * token or permission (401/403) and anything retryable are thrown: they are about every item.
 */
async function deleteOne(send: () => Promise<unknown>, place: RetentionPlace, id: string): Promise<Outcome> {
  try {
    await send();
    return 'deleted';
  } catch (error) {
    if (!(error instanceof HttpFailure) || error.retryable) throw error;
    if (error.status === 404 || error.status === 410) return 'gone';
    if (error.status === 401 || error.status === 403 || error.status === undefined) throw error;
    Context.current().log.warn('retention deletion refused for one item', {
      place,
      id,
      status: error.status,
    });
    return 'failed';
  }
}

function sender(
  intercom: IntercomClient,
  place: RetentionPlace,
  retainMetrics: boolean,
): (id: string) => Promise<unknown> {
  if (place === 'intercom-contacts') return (id) => intercom.deleteContact(id);
  if (place === 'intercom-conversations') {
    return async (id) => {
      // The erasure calls answer false for a 404 instead of throwing: the same "gone" here.
      const deleted = await intercom.erasure.deleteConversation(id, retainMetrics);
      if (!deleted) throw new HttpFailure('gone', 'intercom', 404, false);
    };
  }
  throw Object.assign(new Error(`${place} is not an Intercom place`), { name: 'InvalidInput' });
}

export function createDeletionActivities(deps: ActivityDeps) {
  /** Only after the retentionDecision "delete": removes the migrated contacts (and their data) from Intercom. */
  async function deleteIntercomData({ input }: { input: MigrationInput }): Promise<number> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const manifest = await readManifest(store, blobLayout.entityManifest(input.account, 'contacts'));
    const done = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    let index = 0;
    for await (const contact of recordsOf<{ id: string }>(store, manifest)) {
      index++;
      if (index <= done) continue;
      // A contact deleted by an earlier attempt (or by hand) is gone: not a reason to stop.
      await deleteOne(() => intercom.deleteContact(contact.id), 'intercom-contacts', contact.id);
      Context.current().heartbeat(index);
    }
    return index;
  }

  /** The next batch (at most maxItems) of a planned Intercom place; returns the place's progress. */
  async function deleteIntercomBatch({
    input,
    place,
    maxItems,
    retainMetrics,
  }: {
    input: MigrationInput;
    place: RetentionPlace;
    maxItems: number;
    retainMetrics: boolean;
  }): Promise<PlaceProgress> {
    const store = deps.store(input);
    const send = sender(deps.intercom(input), place, retainMetrics);
    const plan = await readPlanManifest(store, input.account, place);
    if (!plan) {
      throw Object.assign(new Error(`the ${place} deletion has no plan: planRetentionDeletion runs first`), {
        name: 'InvalidData',
      });
    }
    const progress = await readProgress(store, input.account, place, plan.total);
    if (progress.done) return publicProgress(progress);
    const from = progress.position;
    const ids = await planSlice(store, input.account, place, from, Math.min(plan.total, from + maxItems));
    const resumedInFlight = progress.inFlight === true;
    for (const [offset, id] of ids.entries()) {
      // Written before the request: if this attempt dies now, the next one knows it may have been sent.
      await writeProgress(store, input.account, { ...progress, inFlight: true });
      const outcome = await deleteOne(() => send(id), place, id);
      if (outcome === 'gone' && offset === 0 && resumedInFlight) {
        // Sent by the attempt that stopped, most likely: it is this decision's deletion.
        progress.deleted++;
        progress.goneOnResume++;
      } else if (outcome === 'deleted') progress.deleted++;
      else if (outcome === 'gone') progress.alreadyGone++;
      else progress.failed++;
      progress.position++;
      Context.current().heartbeat(progress.position);
    }
    progress.inFlight = false;
    progress.done = progress.position >= plan.total;
    await writeProgress(store, input.account, progress);
    return publicProgress(progress);
  }

  return { deleteIntercomData, deleteIntercomBatch };
}

export type DeletionActivities = OnQueue<typeof deletionQueue, ReturnType<typeof createDeletionActivities>>;
