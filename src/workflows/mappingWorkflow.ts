/**
 * Mapping: everything conversations refer to, created once in Chatwoot before any conversation:
 * the archive inbox, custom attribute definitions, labels, teams with members, agents matched by
 * e-mail, canned responses and the help center. Each step is idempotent (looks up before creating)
 * and its id maps are saved to the blob store for the import.
 */
import { patched } from '@temporalio/workflow';
import type { MappingResult } from '../activities/contract.js';
import type { SetupActivities } from '../activities/setup/chatwootWrites.js';
import type { TicketSetupActivities } from '../activities/setup/tickets.js';
import type { MigrationInput } from '../config.js';
import { chatwootWriteOptions, proxyOn } from './activityOptions.js';

const chatwoot = proxyOn<SetupActivities>(chatwootWriteOptions);
const ticketSetup = proxyOn<TicketSetupActivities>(chatwootWriteOptions);

/** Ticket attribute definitions and ticket type labels are set up since this patch. */
export const TICKET_SETUP = 'ticket-setup';

export async function mappingWorkflow({ input }: { input: MigrationInput }): Promise<MappingResult> {
  const inboxId = await chatwoot.ensureArchiveInbox({ input });
  await chatwoot.ensureAttributeDefinitions({ input });
  if (patched(TICKET_SETUP)) await ticketSetup.ensureTicketSetup({ input });
  // Agents before teams: team members are agents, and an assignee outside the conversation's team
  // is silently dropped by Chatwoot, so members must exist before any assignment.
  const agents = await chatwoot.mapAgents({ input });
  const [labels, teams, cannedResponses, articles] = await Promise.all([
    chatwoot.syncLabels({ input }),
    chatwoot.syncTeams({ input }),
    chatwoot.syncCannedResponses({ input }),
    chatwoot.syncHelpCenter({ input }),
  ]);
  const mappingKey = await chatwoot.saveMapping({ input }, { inboxId });
  return {
    mappingKey,
    inboxId,
    labels,
    teams,
    agentsMatched: agents.matched,
    agentsUnmatched: agents.unmatched,
    cannedResponses,
    articles,
  };
}
