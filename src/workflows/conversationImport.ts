/**
 * One Intercom conversation into Chatwoot (workflow id "migration-<account>/conv-<id>"). The
 * activity is idempotent and resumable: it finds the conversation by its Intercom id, reads the
 * messages already there and posts only the missing ones, so any retry or re-run is exactly-once.
 */
import type { ConversationImportArgs, ConversationImportResult } from '../activities/contract.js';
import type { ImportActivities } from '../activities/import/chatwootWrites.js';
import { chatwootWriteOptions, proxyOn } from './activityOptions.js';

const { importConversation } = proxyOn<ImportActivities>(chatwootWriteOptions);

export async function conversationImport(args: ConversationImportArgs): Promise<ConversationImportResult> {
  return importConversation(args);
}
