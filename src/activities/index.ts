/**
 * Every activity module with the task queue it runs on. The worker registers each module on its
 * queue only (activitiesForQueue); workflows proxy each module's type with that queue's options
 * (workflows/activityOptions.ts), so the compiler refuses a wrong pairing. Names are stable:
 * migrations in flight schedule activities by name.
 *
 *   migration        preflight, export manifest, attachment rehosting, import planning,
 *                    rollout publishing and sealing, retention reminder and snapshot deletion
 *   intercom-reads   export (full and delta), cut-over tagging, retention deletion
 *   chatwoot-writes  preflight's Chatwoot checks, setup (mapping), import, verification, rollout checks
 *                    (CSAT, labels), contact re-key
 */

import { attachmentsQueue, createAttachmentActivities } from './attachments/rehost.js';
import type { ActivityDeps } from './deps.js';
import { createErasureChatwootActivities, erasureChatwootQueue } from './erasure/chatwootWrites.js';
import { createErasureIntercomActivities, erasureIntercomQueue } from './erasure/intercomReads.js';
import { createErasureSnapshotActivities, erasureSnapshotQueue } from './erasure/snapshot.js';
import { createExportActivities, exportQueue } from './export/intercomReads.js';
import { createExportManifestActivities, exportManifestQueue } from './export/manifest.js';
import { createMergedContactActivities, mergedContactsQueue } from './export/mergedContacts.js';
import { createTicketExportActivities, ticketExportQueue } from './export/tickets.js';
import { withClassifiedFailures } from './failures.js';
import { bulkActionsQueue, createBulkActionActivities } from './import/bulkActions.js';
import { createImportActivities, importQueue } from './import/chatwootWrites.js';
import { createImportPlanningActivities, importPlanningQueue } from './import/planning.js';
import { createTicketImportActivities, ticketImportQueue } from './import/tickets.js';
import { withKeepAlive } from './keepAlive.js';
import { createPlanSurveyActivities, planSurveyQueue } from './plan/intercomSurvey.js';
import { createPlanReportActivities, planReportQueue } from './plan/report.js';
import {
  createPreflightActivities,
  createPreflightChatwootActivities,
  preflightChatwootQueue,
  preflightQueue,
} from './preflight.js';
import type { TaskQueueName } from './queues.js';
import { createRekeyActivities, rekeyQueue } from './rekey/chatwootWrites.js';
import { createDeletionActivities, deletionQueue } from './retention/deletion.js';
import { createReminderActivities, reminderQueue } from './retention/reminder.js';
import { createRetentionStoreActivities, retentionStoreQueue } from './retention/snapshot.js';
import { createRolloutCheckActivities, rolloutChecksQueue } from './rollout/checks.js';
import { createCutoverActivities, cutoverQueue } from './rollout/cutover.js';
import { createPublishingActivities, publishingQueue } from './rollout/publishing.js';
import { createSetupActivities, setupQueue } from './setup/chatwootWrites.js';
import { createTicketSetupActivities, ticketSetupQueue } from './setup/tickets.js';
import { createVerificationActivities, verificationQueue } from './verification/chatwootWrites.js';

type ActivityFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

export const activityModules: readonly {
  queue: TaskQueueName;
  create: (deps: ActivityDeps) => ActivityFunctions;
}[] = [
  { queue: preflightQueue, create: createPreflightActivities },
  { queue: preflightChatwootQueue, create: createPreflightChatwootActivities },
  { queue: exportQueue, create: createExportActivities },
  { queue: exportManifestQueue, create: createExportManifestActivities },
  { queue: mergedContactsQueue, create: createMergedContactActivities },
  { queue: ticketExportQueue, create: createTicketExportActivities },
  { queue: attachmentsQueue, create: createAttachmentActivities },
  { queue: setupQueue, create: createSetupActivities },
  { queue: ticketSetupQueue, create: createTicketSetupActivities },
  { queue: importPlanningQueue, create: createImportPlanningActivities },
  { queue: importQueue, create: createImportActivities },
  { queue: bulkActionsQueue, create: createBulkActionActivities },
  { queue: ticketImportQueue, create: createTicketImportActivities },
  { queue: verificationQueue, create: createVerificationActivities },
  { queue: rekeyQueue, create: createRekeyActivities },
  { queue: publishingQueue, create: createPublishingActivities },
  { queue: rolloutChecksQueue, create: createRolloutCheckActivities },
  { queue: cutoverQueue, create: createCutoverActivities },
  { queue: reminderQueue, create: createReminderActivities },
  { queue: deletionQueue, create: createDeletionActivities },
  { queue: erasureSnapshotQueue, create: createErasureSnapshotActivities },
  { queue: erasureChatwootQueue, create: createErasureChatwootActivities },
  { queue: erasureIntercomQueue, create: createErasureIntercomActivities },
  { queue: planSurveyQueue, create: createPlanSurveyActivities },
  { queue: planReportQueue, create: createPlanReportActivities },
  { queue: retentionStoreQueue, create: createRetentionStoreActivities },
];

/**
 * The activities one task queue's worker registers, wrapped so failures are classified once and every
 * attempt heartbeats while it lives (keepAlive.ts).
 */
export function activitiesForQueue(queue: TaskQueueName, deps: ActivityDeps): ActivityFunctions {
  const activities: ActivityFunctions = {};
  for (const module of activityModules) {
    if (module.queue === queue) Object.assign(activities, module.create(deps));
  }
  return withClassifiedFailures(withKeepAlive(activities));
}

export { ActivityDeps, workerEnvironmentFrom } from './deps.js';
