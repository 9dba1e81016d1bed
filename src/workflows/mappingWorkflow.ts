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
/**
 * Since this patch the steps run as three lines side by side instead of one after the other: the
 * import waits for the whole mapping, and one step at a time at Chatwoot's latency kept the budget
 * mostly idle for its 2.6 s (issue 15, realistic bench). Each line keeps the order its steps need.
 */
export const MAPPING_LINES_AT_ONCE = 'mapping-lines-at-once';

export async function mappingWorkflow({ input }: { input: MigrationInput }): Promise<MappingResult> {
  if (patched(MAPPING_LINES_AT_ONCE)) return mapInThreeLines(input);
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
  return saved(input, { inboxId, agents, labels, teams, cannedResponses, articles });
}

async function mapInThreeLines(input: MigrationInput): Promise<MappingResult> {
  // The inbox, then its members (mapAgents adds the agents to it), then teams of those agents: an
  // assignee outside the conversation's team is silently dropped, so members exist before teams.
  const people = async () => {
    const inboxId = await chatwoot.ensureArchiveInbox({ input });
    const agents = await chatwoot.mapAgents({ input });
    const teams = await chatwoot.syncTeams({ input });
    return { inboxId, agents, teams };
  };
  // Attribute definitions and labels, each created by two steps that look up before they create:
  // one after the other, so that no two create the same key or title.
  const definitions = async () => {
    await chatwoot.ensureAttributeDefinitions({ input });
    await ticketSetup.ensureTicketSetup({ input });
    return chatwoot.syncLabels({ input });
  };
  const [{ inboxId, agents, teams }, labels, cannedResponses, articles] = await Promise.all([
    people(),
    definitions(),
    chatwoot.syncCannedResponses({ input }),
    chatwoot.syncHelpCenter({ input }),
  ]);
  return saved(input, { inboxId, agents, labels, teams, cannedResponses, articles });
}

interface MappedParts {
  inboxId: number;
  agents: { matched: number; unmatched: number };
  labels: number;
  teams: number;
  cannedResponses: number;
  articles: number;
}

async function saved(input: MigrationInput, parts: MappedParts): Promise<MappingResult> {
  const { inboxId, agents, labels, teams, cannedResponses, articles } = parts;
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
