/**
 * Cut-over in Intercom: every exported conversation is tagged, so agents still in Intercom see what
 * moved. Runs on the intercom-reads queue, under Intercom's rate.
 */
import { Context } from '@temporalio/activity';
import type { Conversation } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';

export const cutoverQueue = taskQueues.intercom;

export function createCutoverActivities(deps: ActivityDeps) {
  /** Cut-over: every exported conversation gets the "migrated-to-chatwoot" tag in Intercom. */
  async function tagMigratedInIntercom({ input }: { input: MigrationInput }): Promise<number> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const tag = await intercom.createTag('migrated-to-chatwoot');
    const admins = await intercom.admins();
    const adminId = admins[0]?.id;
    if (!adminId)
      throw Object.assign(new Error('Intercom has no admin to tag conversations as'), {
        name: 'InvalidData',
      });
    const manifest = await readManifest(store, blobLayout.entityManifest(input.account, 'conversations'));
    const done = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    let index = 0;
    for await (const conversation of recordsOf<Conversation>(store, manifest)) {
      index++;
      if (index <= done) continue;
      await intercom.tagConversation(conversation.id, tag.id, adminId);
      Context.current().heartbeat(index);
    }
    return index;
  }

  return { tagMigratedInIntercom };
}

export type CutoverActivities = OnQueue<typeof cutoverQueue, ReturnType<typeof createCutoverActivities>>;
