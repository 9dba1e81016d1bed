/**
 * All activities, built around the worker's dependencies. Workflows import only the type of
 * createActivities; the worker registers the functions on every task queue it serves.
 */
import { createAttachmentActivities } from './attachments.js';
import { createBookkeepingActivities } from './bookkeeping.js';
import { createChatwootImportActivities } from './chatwootImport.js';
import { createChatwootSetupActivities } from './chatwootSetup.js';
import type { ActivityDeps } from './deps.js';
import { withClassifiedFailures } from './failures.js';
import { createIntercomActivities } from './intercom.js';
import { createPreflightActivities } from './preflight.js';
import { createVerifyActivities } from './verify.js';

export function createActivities(deps: ActivityDeps) {
  return withClassifiedFailures({
    ...createPreflightActivities(deps),
    ...createIntercomActivities(deps),
    ...createAttachmentActivities(deps),
    ...createChatwootSetupActivities(deps),
    ...createChatwootImportActivities(deps),
    ...createVerifyActivities(deps),
    ...createBookkeepingActivities(deps),
  });
}

export { ActivityDeps, workerEnvironmentFrom } from './deps.js';
