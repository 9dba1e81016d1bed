/**
 * The checks a migration makes before it writes anything: every token in the worker's environment
 * is accepted, belongs to the right Chatwoot account with the role the migration needs, and the
 * Intercom workspace answers. A wrong token or account id found here fails the migration at once with
 * what to fix, instead of an hour into the export or after half the conversations.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import { HttpFailure } from '../clients/httpFailure.js';
import { type MigrationInput, taskQueues } from '../config.js';
import { PREFLIGHT_FAILED } from '../workflows/failureTypes.js';
import { type AutomationsFound, checkAutomations } from './automationsCheck.js';
import { type ActivityDeps, agentTokenSource } from './deps.js';
import type { OnQueue } from './queues.js';

/** Ids and counts only: this lands in the workflow history. */
export interface AccessCheckResult {
  intercomAdminId: string;
  intercomRegion?: string;
  chatwootUserId: number;
  agentTokensChecked: number;
  /** Active automation rules and webhooks found (left running only with chatwoot.allowActiveAutomations). */
  automations?: AutomationsFound;
}

function preflightFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: PREFLIGHT_FAILED,
    nonRetryable: true,
    message: `${message}. Nothing was written; fix it, restart the workers if the environment changed, and start the migration again.`,
  });
}

/** A client's final answer becomes the preflight's verdict; outages and throttling are retried. */
async function checked<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpFailure && !error.retryable) throw preflightFailure(`${what}: ${error.message}`);
    throw error;
  }
}

export const preflightQueue = taskQueues.main;

/** Chatwoot's checks for this worker's environment, sent one after the other. */
async function checkChatwoot(deps: ActivityDeps, input: MigrationInput) {
  const admin = deps.chatwoot(input);
  const profile = await checked('Chatwoot access check (CHATWOOT_TOKEN)', () => admin.profile());
  const membership = profile.accounts.find((account) => account.id === input.account);
  if (!membership) {
    const theirs = profile.accounts.map((account) => account.id).join(', ') || 'none';
    throw preflightFailure(
      `Chatwoot account ${input.account} does not exist, or the user of CHATWOOT_TOKEN (user ${profile.id}) is not a member of it (its accounts: ${theirs}): check "account" in the migration input and the token`,
    );
  }
  if (membership.role !== 'administrator') {
    throw preflightFailure(
      `the user of CHATWOOT_TOKEN (user ${profile.id}) is ${membership.role ?? 'not an administrator'} of Chatwoot account ${input.account}; the migration creates an inbox, attributes and teams, which needs an administrator's token`,
    );
  }
  // Account-scoped, so a suspended account or a wrong base path shows up here, not mid-import.
  const inboxes = await checked(`Chatwoot account ${input.account}`, () => admin.listInboxes());
  const archive = inboxes.find((inbox) => inbox.name === input.chatwoot.inboxName);
  const automations = await checked(`Chatwoot automation rules and webhooks`, () =>
    checkAutomations(admin, input, archive),
  );
  if (automations.refusal) throw preflightFailure(automations.refusal);

  const agentEmails = Object.keys(deps.env.chatwootAgentTokens);
  for (const email of agentEmails) {
    const source = agentTokenSource(deps.env, email);
    const agentProfile = await checked(`Chatwoot access check (${source})`, () =>
      deps.chatwoot(input, email).profile(),
    );
    if (agentProfile.email?.trim().toLowerCase() !== email) {
      // Messages would be credited to the wrong person. The entry's position names it: logs carry
      // ids, never the e-mails (test/log-privacy.integration.test.ts).
      log.error('agent token belongs to another user', { source, user: agentProfile.id });
      throw preflightFailure(
        `${source} belongs to Chatwoot user ${agentProfile.id}, not to the e-mail it is listed under: compare that entry's e-mail with user ${agentProfile.id}'s profile in Chatwoot`,
      );
    }
    if (!agentProfile.accounts.some((account) => account.id === input.account)) {
      throw preflightFailure(
        `the user of ${source} (user ${agentProfile.id}) is not a member of Chatwoot account ${input.account}: add the agent to the account or remove the entry`,
      );
    }
  }
  return { profile, automations, agentEmails };
}

export function createPreflightActivities(deps: ActivityDeps) {
  /**
   * Both services' checks, here on the migration queue. Since PREFLIGHT_WITHIN_BUDGET the workflow
   * asks checkIntercomAccess here and checkChatwootAccess on the Chatwoot queue instead: a worker
   * that does not poll chatwoot-writes has no share of the Chatwoot budget, so its requests were
   * sent beside the shared budget (test/budget-workers.integration.test.ts saw 17 in a second of
   * 16). Kept for migrations started before.
   */
  async function checkAccess({ input }: { input: MigrationInput }): Promise<AccessCheckResult> {
    const me = await checked('Intercom access check', () => deps.intercom(input).me());
    const { profile, automations, agentEmails } = await checkChatwoot(deps, input);
    return {
      intercomAdminId: me.id,
      intercomRegion: me.app?.region ?? undefined,
      chatwootUserId: profile.id,
      agentTokensChecked: agentEmails.length,
      automations: automations.found,
    };
  }

  /** The Intercom workspace answers to INTERCOM_TOKEN (the Intercom half of checkAccess). */
  async function checkIntercomAccess({
    input,
  }: {
    input: MigrationInput;
  }): Promise<Pick<AccessCheckResult, 'intercomAdminId' | 'intercomRegion'>> {
    const me = await checked('Intercom access check', () => deps.intercom(input).me());
    return { intercomAdminId: me.id, intercomRegion: me.app?.region ?? undefined };
  }

  return { checkAccess, checkIntercomAccess };
}

/** The Chatwoot half, on the Chatwoot queue: its requests count against the shared budget. */
export const preflightChatwootQueue = taskQueues.chatwoot;

export function createPreflightChatwootActivities(deps: ActivityDeps) {
  /** Every Chatwoot token of this worker's environment, the account and the administrator's role. */
  async function checkChatwootAccess({
    input,
  }: {
    input: MigrationInput;
  }): Promise<Pick<AccessCheckResult, 'chatwootUserId' | 'agentTokensChecked' | 'automations'>> {
    const { profile, automations, agentEmails } = await checkChatwoot(deps, input);
    return {
      chatwootUserId: profile.id,
      agentTokensChecked: agentEmails.length,
      automations: automations.found,
    };
  }
  return { checkChatwootAccess };
}

export type PreflightActivities = OnQueue<
  typeof preflightQueue,
  ReturnType<typeof createPreflightActivities>
>;

export type PreflightChatwootActivities = OnQueue<
  typeof preflightChatwootQueue,
  ReturnType<typeof createPreflightChatwootActivities>
>;
