/**
 * A year after cut-over someone must decide about the data. A durable timer waits out the retention
 * period (surviving worker and server restarts), a reminder goes to the configured webhook, then the
 * workflow waits for an explicit decision: nothing is deleted without a well-formed retentionDecision
 * signal, and a malformed one is logged and ignored rather than read as anything. A decision sent
 * before the period is over is kept and carried out when it ends.
 *
 * "delete" names what goes (activities/retention/scope.ts): the Intercom conversations, the Intercom
 * contacts, the project's snapshot, or all; {"action":"delete"} alone still means the contacts only.
 * Since the patch retention-decision-scope the deletion is planned first (a fixed list per place),
 * then done in batches whose progress lives in the blob store and in this workflow (counts and
 * positions, carried through continue-as-new), and ends with a report of each place: deleted, already
 * gone, failed. A place that stops (a refused token) waits for the decision to be sent again.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { DeletionActivities } from '../activities/retention/deletion.js';
import type { ReminderActivities } from '../activities/retention/reminder.js';
import {
  emptyProgress,
  type PlaceProgress,
  placesOf,
  RETENTION_PLACES,
  type RetentionReport,
  type RetentionScope,
  WHAT_INTERCOM_DELETES_WITH_A_CONTACT,
} from '../activities/retention/scope.js';
import type { RetentionStoreActivities } from '../activities/retention/snapshot.js';
import { DurationSchema, type MigrationInput } from '../config.js';
import { intercomExportOptions, localWorkOptions, proxyOn, shortOptions } from './activityOptions.js';
import { type RetentionDecision, retentionDecisionSignal, signalDescriptions } from './definitions.js';
import { toMilliseconds } from './durations.js';

const notify = proxyOn<ReminderActivities>(shortOptions);
const intercom = proxyOn<DeletionActivities>(intercomExportOptions);
const store = proxyOn<RetentionStoreActivities>(localWorkOptions);

/** Changes the commands after a "delete" decision: planned, batched, reported (see the header). */
export const RETENTION_SCOPE_PATCH = 'retention-decision-scope';

/** Items per activity: a batch's progress reaches the workflow (and its page) this often. */
const BATCH_SIZE = { intercom: 100, snapshot: 500 };
/** Batches before the run continues as new, unless the server suggests it sooner. */
const BATCHES_PER_RUN = 500;

/** A deletion under way, carried through continue-as-new. Counts, positions and the scope only. */
export interface DeletionState {
  scope: RetentionScope;
  decidedAt: number;
  places: (PlaceProgress & { planned?: boolean })[];
}

export interface RetentionArgs {
  input: MigrationInput;
  /** Unix milliseconds of the cut-over. */
  cutoverAt: number;
  /** Set when a "keep" decision extended the period. */
  remindAt?: number;
  remindersSent?: number;
  /** Set when a deletion continued as new: it goes on where it was. */
  deletion?: DeletionState;
  /** Rehearsals and tests: smaller batches and runs than production's. */
  tuning?: { batchSize?: number; batchesPerRun?: number };
}

export interface RetentionResult {
  decision: RetentionDecision['action'];
  decidedAt: number;
  deletedContacts: number;
  /** Decisions since the patch: what was deleted where (also at retention/report.json). */
  report?: RetentionReport;
  reportKey?: string;
}

/** zod runs refinements even after a failed format check, so this must not throw on "forever". */
function isPositiveDuration(duration: string | number): boolean {
  try {
    return toMilliseconds(duration) > 0;
  } catch {
    return false;
  }
}

const placeSchema = z.enum(RETENTION_PLACES);

/** Signals come from people typing JSON into the Web UI: a typo must never read as "delete". */
const decisionSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('delete'),
    what: z
      .union([
        z.literal('all'),
        z
          .array(placeSchema)
          .min(1, 'name at least one place')
          .refine((places) => new Set(places).size === places.length, 'each place once'),
      ])
      .optional(),
    conversationMetrics: z.enum(['keep', 'delete']).optional(),
  }),
  z.strictObject({
    action: z.literal('keep'),
    for: DurationSchema.refine(isPositiveDuration, 'a positive duration').optional(),
  }),
]);

function problemsOf(decision: RetentionDecision): string | undefined {
  if (decision.action !== 'delete' || decision.conversationMetrics === undefined) return undefined;
  return placesOf(decision.what).includes('intercom-conversations')
    ? undefined
    : 'conversationMetrics needs "intercom-conversations" in "what"';
}

function scopeOf(decision: RetentionDecision & { action: 'delete' }): RetentionScope {
  return {
    places: placesOf(decision.what),
    retainConversationMetrics: decision.conversationMetrics !== 'delete',
  };
}

/** A stopped place's reason: the failure's type and message (the activities keep both free of data). */
function reasonOf(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
  return `${type}: ${cause instanceof Error ? cause.message : String(cause)}`.slice(0, 300);
}

const KEPT = 'the retention folder (this report; counts only, no personal data)';

export async function retentionReminder(args: RetentionArgs): Promise<RetentionResult> {
  const { input } = args;
  const remindAt = args.remindAt ?? args.cutoverAt + toMilliseconds(input.retention.after);
  let decision: RetentionDecision | undefined;
  let reminded = false;
  let rejected: string | undefined;
  let deletion = args.deletion;

  const describe = () =>
    setCurrentDetails(
      [
        `## Data retention for account ${input.account}`,
        `Cut over ${new Date(args.cutoverAt).toISOString()}; review due ${new Date(remindAt).toISOString()}` +
          ` (reminders sent so far: ${(args.remindersSent ?? 0) + (reminded ? 1 : 0)}).`,
        reminded && !decision && !deletion
          ? `**Waiting for a decision:** signal \`retentionDecision\` with {"action":"keep","for":"180 days"}, ` +
            `{"action":"delete"} (the Intercom contacts), {"action":"delete","what":["intercom-conversations",` +
            `"intercom-contacts","snapshot"]} (any of them) or {"action":"delete","what":"all"}.`
          : '',
        deletion ? deletionDetails(deletion) : '',
        rejected ? `Ignored a malformed decision: ${rejected}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );

  setHandler(
    retentionDecisionSignal,
    (value: unknown) => {
      const parsed = decisionSchema.safeParse(value);
      const problem = parsed.success ? problemsOf(parsed.data) : undefined;
      if (!parsed.success || problem) {
        const shown = String(JSON.stringify(value)).slice(0, 200);
        rejected = `${shown} (${problem ?? parsed.error?.issues.map((i) => i.message).join('; ')})`;
        log.warn('ignored a malformed retention decision', { value, problems: rejected });
        describe();
        return;
      }
      decision = parsed.data;
      describe();
    },
    { description: signalDescriptions.retentionDecision },
  );

  const carryOut = async (state: DeletionState): Promise<RetentionResult> => {
    deletion = state;
    const batchSize = args.tuning?.batchSize;
    let batches = 0;
    for (;;) {
      describe();
      for (const place of state.places) {
        if (place.planned || place.stopped) continue;
        try {
          place.total = await store.planRetentionDeletion({ input, place: place.place });
          place.planned = true;
        } catch (error) {
          place.stopped = `planning: ${reasonOf(error)}`;
        }
      }
      // The snapshot holds what finds the Intercom data: it goes only once their plans are written.
      const intercomPlanned = state.places.every((p) => p.place === 'snapshot' || p.planned);
      for (const place of state.places) {
        while (place.planned && !place.done && !place.stopped) {
          if (place.place === 'snapshot' && !intercomPlanned) {
            place.stopped = 'held: an Intercom place in the same decision has no plan yet';
            break;
          }
          try {
            const progress =
              place.place === 'snapshot'
                ? await store.deleteSnapshotBatch({ input, maxItems: batchSize ?? BATCH_SIZE.snapshot })
                : await intercom.deleteIntercomBatch({
                    input,
                    place: place.place,
                    maxItems: batchSize ?? BATCH_SIZE.intercom,
                    retainMetrics: state.scope.retainConversationMetrics,
                  });
            Object.assign(place, progress);
          } catch (error) {
            place.stopped = reasonOf(error);
          }
          describe();
          batches++;
          if (
            batches >= (args.tuning?.batchesPerRun ?? BATCHES_PER_RUN) ||
            workflowInfo().continueAsNewSuggested
          ) {
            await continueAsNew<typeof retentionReminder>({ ...args, deletion: state });
          }
        }
      }
      const done = state.places.every((p) => p.done);
      const report: RetentionReport = {
        account: input.account,
        scope: state.scope,
        decidedAt: new Date(state.decidedAt).toISOString(),
        ...(done ? { finishedAt: new Date().toISOString() } : {}),
        places: state.places.map(({ planned: _planned, ...progress }) => progress),
        whatIntercomDeletesWithAContact: WHAT_INTERCOM_DELETES_WITH_A_CONTACT,
        kept: state.scope.places.includes('snapshot') ? KEPT : 'everything outside the places named',
      };
      const reportKey = await store.writeRetentionReport({ input, report });
      const contacts = state.places.find((p) => p.place === 'intercom-contacts');
      const result: RetentionResult = {
        decision: 'delete',
        decidedAt: state.decidedAt,
        deletedContacts: contacts?.deleted ?? 0,
        report,
        reportKey,
      };
      if (done) return result;
      // Stopped somewhere: the operator fixes the cause and sends any "delete" to go on, or "keep" to
      // end here. One sent since this pass began counts (the page asked for it at the stop).
      describe();
      await condition(() => decision !== undefined);
      // The handler set it meanwhile (the compiler cannot see that through the await).
      const next = decision as RetentionDecision | undefined;
      decision = undefined;
      if (next?.action === 'keep') return result;
      for (const place of state.places) delete place.stopped;
    }
  };

  if (deletion) return carryOut(deletion);

  describe();
  const wait = remindAt - Date.now();
  if (wait > 0) await sleep(wait);

  await notify.sendRetentionReminder(
    { input },
    { cutoverAt: args.cutoverAt, remindAt, workflowId: workflowInfo().workflowId },
  );
  reminded = true;
  describe();
  await condition(() => decision !== undefined);
  const decided = decision as RetentionDecision;
  if (decided.action === 'keep') {
    const extension = toMilliseconds(decided.for ?? input.retention.after);
    await continueAsNew<typeof retentionReminder>({
      ...args,
      remindAt: Date.now() + extension,
      remindersSent: (args.remindersSent ?? 0) + 1,
    });
  }
  if (!patched(RETENTION_SCOPE_PATCH)) {
    const deletedContacts = await intercom.deleteIntercomData({ input });
    return { decision: 'delete', decidedAt: Date.now(), deletedContacts };
  }
  const scope = scopeOf(decided as RetentionDecision & { action: 'delete' });
  decision = undefined;
  return carryOut({ scope, decidedAt: Date.now(), places: scope.places.map(emptyProgress) });
}

function deletionDetails(state: DeletionState): string {
  const rows = state.places.map(
    (p) =>
      `| ${p.place} | ${p.planned ? p.total : '…'} | ${p.deleted} | ${p.alreadyGone} | ${p.failed} | ` +
      `${p.stopped ? `stopped: ${p.stopped}` : p.done ? 'done' : 'deleting'} |`,
  );
  const stopped = state.places.some((p) => p.stopped);
  return [
    `**Deleting** (decided ${new Date(state.decidedAt).toISOString()}):`,
    '',
    '| place | planned | deleted | already gone | failed | state |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    stopped
      ? '\nFix the cause, then signal `retentionDecision` with {"action":"delete"} to go on (the same ' +
        'scope, from where it stopped), or {"action":"keep"} to end with this report.'
      : '',
    '',
    `What Intercom deletes with a contact: ${WHAT_INTERCOM_DELETES_WITH_A_CONTACT}`,
  ].join('\n');
}
