/**
 * One Intercom conversation into Chatwoot (workflow id "migration-<account>/conv-<id>"). The
 * activity is idempotent and resumable: it finds the conversation by its Intercom id, reads the
 * messages already there and posts only the missing ones, so any retry or re-run is exactly-once.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ConversationImportArgs, ConversationImportResult } from '../activities/contract.js';
import type * as activities from '../activities/index.js';
import { chatwootWriteOptions } from './activityOptions.js';

type Activities = ReturnType<typeof activities.createActivities>;
const { importConversation } = proxyActivities<Activities>(chatwootWriteOptions);

export async function conversationImport(args: ConversationImportArgs): Promise<ConversationImportResult> {
  return importConversation(args);
}
