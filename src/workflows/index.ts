/** Every workflow, for the worker's bundle. */
export { accountMigration } from './accountMigration.js';
export { attachmentRehost } from './attachmentRehost.js';
export { conversationImport } from './conversationImport.js';
export { erasePerson } from './erasePerson.js';
export { exportWorkflow } from './exportWorkflow.js';
export { importWorkflow } from './importWorkflow.js';
export { mappingWorkflow } from './mappingWorkflow.js';
export { migrationPlan } from './migrationPlan.js';
export { rekeyContacts } from './rekeyContacts.js';
export { retentionReminder } from './retentionReminder.js';
export { rolloutWorkflow } from './rolloutWorkflow.js';
export { ticketImport } from './ticketImport.js';
export { verifyWorkflow } from './verifyWorkflow.js';
