/**
 * The retention reminder: a webhook a year after cut-over asking the operator to decide about the
 * Intercom data. Sent through the guarded webhook client (src/clients/webhook.ts). Runs on the
 * migration queue.
 */

import { postWebhook } from '../../clients/webhook.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import type { ActivityDeps } from '../deps.js';
import type { OnQueue } from '../queues.js';

export const reminderQueue = taskQueues.main;

export function createReminderActivities(_deps: ActivityDeps) {
  async function sendRetentionReminder(
    { input }: { input: MigrationInput },
    details: { cutoverAt: number; remindAt: number; workflowId: string },
  ): Promise<boolean> {
    const message = {
      event: 'intercom_retention_review_due',
      account: input.account,
      cutoverAt: new Date(details.cutoverAt).toISOString(),
      dueAt: new Date(details.remindAt).toISOString(),
      workflowId: details.workflowId,
      text:
        `The retention period for the Intercom data of Chatwoot account ${input.account} is over. ` +
        `Decide with: temporal workflow signal --workflow-id ${details.workflowId} --name retentionDecision ` +
        `--input '{"action":"keep","for":"180 days"}' (or {"action":"delete"} for the Intercom contacts, ` +
        `{"action":"delete","what":"all"} for them, the Intercom conversations and the project's snapshot).`,
    };
    if (!input.retention.webhookUrl) return false;
    await postWebhook(input.retention.webhookUrl, message, {
      allowLoopbackHttp: input.attachments.allowLoopbackHttp,
    });
    return true;
  }

  return { sendRetentionReminder };
}

export type ReminderActivities = OnQueue<typeof reminderQueue, ReturnType<typeof createReminderActivities>>;
