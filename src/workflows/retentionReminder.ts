/**
 * A year after cut-over someone must decide about the Intercom data. A durable timer waits out the
 * retention period (surviving worker and server restarts), a reminder goes to the configured
 * webhook, then the workflow waits for an explicit decision: nothing in Intercom is deleted without
 * a well-formed retentionDecision signal, and a malformed one is logged and ignored rather than
 * read as anything. A decision sent before the period is over is kept and carried out when it ends.
 */
import {
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { DeletionActivities } from '../activities/retention/deletion.js';
import type { ReminderActivities } from '../activities/retention/reminder.js';
import { DurationSchema, type MigrationInput } from '../config.js';
import { intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';
import { type RetentionDecision, retentionDecisionSignal, signalDescriptions } from './definitions.js';
import { toMilliseconds } from './durations.js';

const notify = proxyOn<ReminderActivities>(shortOptions);
const intercom = proxyOn<DeletionActivities>(intercomExportOptions);

export interface RetentionArgs {
  input: MigrationInput;
  /** Unix milliseconds of the cut-over. */
  cutoverAt: number;
  /** Set when a "keep" decision extended the period. */
  remindAt?: number;
  remindersSent?: number;
}

export interface RetentionResult {
  decision: RetentionDecision['action'];
  decidedAt: number;
  deletedContacts: number;
}

/** zod runs refinements even after a failed format check, so this must not throw on "forever". */
function isPositiveDuration(duration: string | number): boolean {
  try {
    return toMilliseconds(duration) > 0;
  } catch {
    return false;
  }
}

/** Signals come from people typing JSON into the Web UI: a typo must never read as "delete". */
const decisionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('delete') }),
  z.strictObject({
    action: z.literal('keep'),
    for: DurationSchema.refine(isPositiveDuration, 'a positive duration').optional(),
  }),
]);

export async function retentionReminder(args: RetentionArgs): Promise<RetentionResult> {
  const { input } = args;
  const remindAt = args.remindAt ?? args.cutoverAt + toMilliseconds(input.retention.after);
  let decision: RetentionDecision | undefined;
  let reminded = false;
  let rejected: string | undefined;

  const describe = () =>
    setCurrentDetails(
      [
        `## Intercom data retention for account ${input.account}`,
        `Cut over ${new Date(args.cutoverAt).toISOString()}; review due ${new Date(remindAt).toISOString()}` +
          ` (reminders sent so far: ${(args.remindersSent ?? 0) + (reminded ? 1 : 0)}).`,
        reminded && !decision
          ? `**Waiting for a decision:** signal \`retentionDecision\` with {"action":"delete"} or ` +
            `{"action":"keep","for":"180 days"}.`
          : '',
        rejected ? `Ignored a malformed decision: ${rejected}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );

  setHandler(
    retentionDecisionSignal,
    (value: unknown) => {
      const parsed = decisionSchema.safeParse(value);
      if (!parsed.success) {
        const shown = String(JSON.stringify(value)).slice(0, 200);
        rejected = `${shown} (${parsed.error.issues.map((i) => i.message).join('; ')})`;
        log.warn('ignored a malformed retention decision', { value, problems: rejected });
        describe();
        return;
      }
      decision = parsed.data;
      describe();
    },
    { description: signalDescriptions.retentionDecision },
  );

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
  const deletedContacts = await intercom.deleteIntercomData({ input });
  return { decision: 'delete', decidedAt: Date.now(), deletedContacts };
}
