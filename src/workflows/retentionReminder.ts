/**
 * A year after cut-over someone must decide about the Intercom data. A durable timer waits out the
 * retention period (surviving worker and server restarts), a reminder goes to the configured
 * webhook, then the workflow waits for an explicit decision: nothing in Intercom is deleted without
 * the retentionDecision signal.
 */
import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { MigrationInput } from '../config.js';
import { intercomExportOptions, shortOptions } from './activityOptions.js';
import { type RetentionDecision, retentionDecisionSignal, signalDescriptions } from './definitions.js';
import { toMilliseconds } from './durations.js';

type Activities = ReturnType<typeof activities.createActivities>;
const notify = proxyActivities<Activities>(shortOptions);
const intercom = proxyActivities<Activities>(intercomExportOptions);

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

export async function retentionReminder(args: RetentionArgs): Promise<RetentionResult> {
  const { input } = args;
  let decision: RetentionDecision | undefined;
  setHandler(
    retentionDecisionSignal,
    (value) => {
      decision = value;
    },
    { description: signalDescriptions.retentionDecision },
  );

  const remindAt = args.remindAt ?? args.cutoverAt + toMilliseconds(input.retention.after);
  const wait = remindAt - Date.now();
  if (wait > 0) await sleep(wait);

  await notify.sendRetentionReminder(
    { input },
    { cutoverAt: args.cutoverAt, remindAt, workflowId: workflowInfo().workflowId },
  );
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
