/**
 * The rollout's checks against Chatwoot: the CSAT gate (Intercom's ratings against Chatwoot's for the
 * same window) and, at cut-over, that every migrated conversation still carries from_intercom. Runs
 * on the chatwoot-writes queue, under Chatwoot's budget.
 */
import { Context } from '@temporalio/activity';
import type { Conversation as ChatwootConversation } from '../../clients/chatwoot/schemas.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Conversation } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { conversationLabels } from '../../mapping/index.js';
import type { SyncedIntercomState } from '../../mapping/syncMerge.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { forEachConcurrently } from '../concurrently.js';
import type { CsatComparison } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { pageArchiveIndex } from '../import/archiveIndex.js';
import { readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { FROM_INTERCOM_LABEL } from '../setup/chatwootWrites.js';

export const rolloutChecksQueue = taskQueues.chatwoot;
const CONCURRENCY = 4;
/** Fewer ratings than this on either side say nothing about quality: the CSAT gate stays open. */
const MIN_RATINGS_FOR_CSAT = 5;

export function createRolloutCheckActivities(deps: ActivityDeps) {
  /**
   * Cut-over check: every migrated conversation carries from_intercom; any that lost it gets it back.
   * The archive inbox is paged once (GET /conversations?inbox_id=, 25 a page, each item with its
   * labels: import/archiveIndex.ts) instead of one POST /conversations/filter per conversation, which
   * Chatwoot answers with a scan of the account's conversations (app/services/filter_service.rb).
   * Migrated conversations stay in the archive inbox: PATCH /conversations/:id permits only
   * `priority` (ConversationsController#permitted_update_params), so none is moved out. Only when
   * the paging cannot prove an absence (a conversation deleted meanwhile shifted a page) is a
   * conversation not listed looked up with the filter, as before.
   */
  async function verifyMigratedLabels({
    input,
  }: {
    input: MigrationInput;
  }): Promise<{ checked: number; repaired: number }> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const manifest = await readManifest(store, blobLayout.entityManifest(input.account, 'conversations'));
    const mapping = await getJson<{ inboxId?: number }>(store, blobLayout.mapping(input.account));
    // Paged afresh, not the run's cached index (deps.runCache): cut-over comes days after the import.
    const archive =
      mapping?.inboxId === undefined
        ? undefined
        : await pageArchiveIndex(chatwoot, mapping.inboxId, (pages) =>
            Context.current().heartbeat(`archive page ${pages}`),
          );
    const matchesOf = async (intercomId: string): Promise<ChatwootConversation[]> => {
      const listed = archive?.conversations.get(intercomId);
      if (listed?.length || archive?.complete) return listed ?? [];
      return chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', intercomId);
    };
    let checked = 0;
    let repaired = 0;
    await forEachConcurrently(recordsOf<Conversation>(store, manifest), CONCURRENCY, async (conversation) => {
      const match = (await matchesOf(conversation.id))[0];
      if (!match) return;
      checked++;
      if (!(match.labels ?? []).includes(FROM_INTERCOM_LABEL)) {
        // POST /labels replaces the whole list, and the listing may be minutes old: the labels are
        // read again just before the write, so that none an agent added since is lost (rare: one
        // request per conversation that lost the marker).
        let current: ChatwootConversation;
        try {
          current = await chatwoot.getConversation(match.id);
        } catch (error) {
          if (error instanceof HttpFailure && error.status === 404) return; // deleted meanwhile
          throw error;
        }
        const labels = current.labels ?? [];
        if (labels.includes(FROM_INTERCOM_LABEL)) return;
        // The last sync's labels when there is one: the export's tags may have been removed since.
        const synced = await getJson<SyncedIntercomState>(
          store,
          blobLayout.syncedConversation(input.account, conversation.id),
        );
        const wanted =
          synced?.labels ?? conversationLabels((conversation.tags?.tags ?? []).map((t) => t.name));
        await chatwoot.setLabels(match.id, [...new Set([...labels, ...wanted, FROM_INTERCOM_LABEL])]);
        repaired++;
      }
      Context.current().heartbeat(checked);
    });
    return { checked, repaired };
  }

  /**
   * CSAT in a window: Intercom's conversation ratings (from the export and the delta syncs) against
   * Chatwoot's CSAT metrics for its live inboxes. Scores are the share of ratings of 4 or 5.
   */
  async function compareCsat(
    { input }: { input: MigrationInput },
    window: { since: number; until: number },
  ): Promise<CsatComparison> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const ratings = new Map<string, number>();
    const manifests: string[] = [blobLayout.entityManifest(input.account, 'conversations')];
    for await (const key of store.list(blobLayout.deltaPrefix(input.account))) {
      if (blobLayout.isDeltaConversationsManifest(key)) manifests.push(key);
    }
    for (const key of manifests) {
      for await (const conversation of recordsOf<Conversation>(store, await readManifest(store, key))) {
        const rating = conversation.conversation_rating;
        // Intercom's created_at is when the rating was requested; updated_at is when it was given,
        // which is what Chatwoot's CSAT response time counts. Without updated_at, the request time
        // is the closest there is.
        const at = rating?.updated_at ?? rating?.created_at ?? 0;
        if (rating?.rating && at >= window.since && at <= window.until)
          ratings.set(conversation.id, rating.rating);
      }
    }
    const intercomGood = [...ratings.values()].filter((r) => r >= 4).length;
    const inboxes = await chatwoot.listInboxes();
    const live = inboxes.filter((inbox) => inbox.name !== input.chatwoot.inboxName);
    let chatwootRatings = 0;
    let chatwootGood = 0;
    for (const inbox of live) {
      const metrics = await chatwoot.csatMetrics({
        since: window.since,
        until: window.until,
        inboxId: inbox.id,
      });
      // ratings_count maps each rating (1-5) to how many responses gave it.
      for (const [rating, count] of Object.entries(metrics.ratings_count)) {
        chatwootRatings += count;
        if (Number(rating) >= 4) chatwootGood += count;
      }
    }
    const intercomScore = ratings.size ? (100 * intercomGood) / ratings.size : null;
    const chatwootScore = chatwootRatings ? (100 * chatwootGood) / chatwootRatings : null;
    const enough = ratings.size >= MIN_RATINGS_FOR_CSAT && chatwootRatings >= MIN_RATINGS_FOR_CSAT;
    return {
      intercomScore,
      chatwootScore,
      intercomRatings: ratings.size,
      chatwootRatings,
      behind:
        enough &&
        intercomScore !== null &&
        chatwootScore !== null &&
        chatwootScore < intercomScore - input.rollout.csatMargin,
    };
  }

  return { verifyMigratedLabels, compareCsat };
}

export type RolloutCheckActivities = OnQueue<
  typeof rolloutChecksQueue,
  ReturnType<typeof createRolloutCheckActivities>
>;
