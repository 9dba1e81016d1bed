/**
 * Makes the agents the migration acts for members of the archive inbox. Chatwoot lets an agent (not
 * an administrator) act on a conversation only as a member of its inbox or team
 * (ConversationPolicy#show?), so without this every message posted with an agent's own token is
 * refused, and an assignee cannot even open the conversations assigned to them.
 */

import { ChatwootPolicyRefusal } from '../../clients/chatwoot/refusals.js';
import type { Agent } from '../../clients/chatwoot/schemas.js';
import type { MigrationInput } from '../../config.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { mapLimited } from '../mapLimited.js';

const TOKEN_CHECKS_AT_ONCE = 8;

/**
 * Adds to the archive inbox every agent with a token in CHATWOOT_AGENT_TOKENS (they write) and every
 * mapped agent (they are assigned), administrators aside (the policy lets them in anyway); then asks
 * the inbox as each token's user, which InboxPolicy#show? answers from the same membership
 * ConversationPolicy reads. The conversation list would not do: it never refuses, it leaves out.
 * One GET of the members, one POST only when someone is missing, one GET per agent token.
 */
export async function ensureArchiveInboxMembers(
  deps: ActivityDeps,
  input: MigrationInput,
  chatwootAgents: Agent[],
  assigneeIds: number[],
): Promise<void> {
  const writers = Object.keys(deps.env.chatwootAgentTokens);
  const agentIdByEmail = new Map(
    chatwootAgents
      .filter((agent) => agent.role !== 'administrator')
      .map((agent) => [(agent.email ?? '').trim().toLowerCase(), agent.id]),
  );
  const agentIds = new Set(agentIdByEmail.values());
  const wanted = new Set(assigneeIds.filter((id) => agentIds.has(id)));
  for (const email of writers) {
    const id = agentIdByEmail.get(email);
    if (id !== undefined) wanted.add(id);
  }
  if (wanted.size === 0 && writers.length === 0) return;

  const part = await getJson<{ inboxId: number }>(
    deps.store(input),
    blobLayout.mappingPart(input.account, 'inbox'),
  );
  if (!part) throw new Error('the archive inbox is not in the mapping yet: ensureArchiveInbox runs first');
  const inbox = { id: part.inboxId, name: input.chatwoot.inboxName };
  const chatwoot = deps.chatwoot(input);
  const current = (await chatwoot.listInboxMembers(inbox.id)).map((member) => member.id);
  const missing = [...wanted].filter((id) => !current.includes(id));
  // Chatwoot 4.10 adds only the ids not in yet; sending the current members too keeps anyone from
  // being dropped should a server treat the list as the whole membership.
  if (missing.length > 0) await chatwoot.addInboxMembers(inbox.id, [...current, ...missing]);

  // One read per token, all at once: the import waits for the mapping, and these are independent.
  await mapLimited(writers, TOKEN_CHECKS_AT_ONCE, async (email) => {
    try {
      await deps.chatwoot(input, email).listInboxMembers(inbox.id);
    } catch (error) {
      throw error instanceof ChatwootPolicyRefusal ? error.inInbox(inbox) : error;
    }
  });
}
