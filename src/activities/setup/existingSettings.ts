/**
 * Objects the migration finds already in Chatwoot (an archive inbox or a team of the same name, a
 * portal from an earlier run) carry settings someone else chose. Some of them turn the import's
 * writes into side effects on agents and contacts, so they are checked before anything is imported:
 *
 * - Inbox (app/models/inbox.rb): `enable_auto_assignment` assigns every conversation that becomes
 *   open to an online member (AutoAssignmentHandler), who is notified; `greeting_enabled` sends the
 *   greeting to the contact of each new conversation; `csat_survey_enabled` sends a survey on every
 *   resolution. An API inbox's `webhook_url` receives every event of the inbox (WebhookListener).
 * - Team (app/models/team.rb): `allow_auto_assign` makes a team change assign one of the team's
 *   online agents when the conversation has none (AssignmentHandler#find_assignee_from_team), which
 *   would invent assignees for conversations Intercom had assigned to the team only.
 *
 * The flags are the migration's to correct: the archive inbox and the import's team assignments
 * exist for the migration. A webhook is someone's integration: it is refused with what to change.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { ChatwootClient, InboxSettings } from '../../clients/chatwoot/client.js';
import type { Inbox, Team } from '../../clients/chatwoot/schemas.js';
import type { MigrationInput } from '../../config.js';

export const SETTINGS_REFUSED = 'ChatwootSettingsRefused';

/** Turns off auto-assignment, the greeting and CSAT on an existing archive inbox; one PATCH at most. */
export async function quietExistingInbox(
  chatwoot: ChatwootClient,
  input: MigrationInput,
  inbox: Inbox,
): Promise<void> {
  if (inbox.webhook_url && !input.chatwoot.allowActiveAutomations) {
    throw ApplicationFailure.create({
      type: SETTINGS_REFUSED,
      nonRetryable: true,
      message: `the archive inbox "${input.chatwoot.inboxName}" (Chatwoot inbox ${inbox.id}) has a webhook URL, which would be called for every conversation and message the import creates: clear it in Settings → Inboxes → ${input.chatwoot.inboxName} → Configuration, choose another chatwoot.inboxName, or start with "chatwoot": {"allowActiveAutomations": true}`,
    });
  }
  const fix: InboxSettings = {};
  if (inbox.enable_auto_assignment !== false) fix.enable_auto_assignment = false;
  if (inbox.greeting_enabled) fix.greeting_enabled = false;
  if (inbox.csat_survey_enabled) fix.csat_survey_enabled = false;
  if (Object.keys(fix).length === 0) return;
  log.warn('archive inbox settings turned off for the import', {
    inbox: inbox.id,
    changed: Object.keys(fix),
  });
  const updated = await chatwoot.updateInbox(inbox.id, fix);
  const still = (Object.keys(fix) as (keyof InboxSettings)[]).filter((key) => updated[key] === true);
  if (still.length > 0) {
    throw ApplicationFailure.create({
      type: SETTINGS_REFUSED,
      nonRetryable: true,
      message: `Chatwoot kept ${still.join(', ')} on for the archive inbox "${input.chatwoot.inboxName}" (inbox ${inbox.id}): turn them off in Settings → Inboxes → ${input.chatwoot.inboxName}, then start the migration again`,
    });
  }
}

/**
 * Switches `allow_auto_assign` off on an existing team the import assigns conversations to, and
 * answers the team's id when it did. It stays off through the rollout's delta syncs (they assign
 * teams too); the report tells the operator which teams to switch back after cut-over.
 */
export async function stopTeamAutoAssign(chatwoot: ChatwootClient, team: Team): Promise<number | undefined> {
  if (team.allow_auto_assign === false) return undefined;
  const updated = await chatwoot.updateTeam(team.id, { allow_auto_assign: false });
  if (updated.allow_auto_assign) {
    throw ApplicationFailure.create({
      type: SETTINGS_REFUSED,
      nonRetryable: true,
      message: `Chatwoot kept "allow auto assign" on for team ${team.id}: turn it off in Settings → Teams, then start the migration again (otherwise each conversation assigned to the team gets one of its online agents as assignee)`,
    });
  }
  log.warn('team auto-assignment turned off for the import', { team: team.id });
  return team.id;
}

/**
 * The config to PATCH on a portal found from an earlier run (or made by hand) so that it allows
 * every locale the workspace uses, or undefined when it already does. Chatwoot renders a portal's
 * `config.allowed_locales` as objects `{code, articles_count, categories_count}`
 * (portals/_portal.json.jbuilder, models/_portal_config.json.jbuilder), not the codes it was given;
 * a plain code is read too. The locales it has are kept, in their order, with the missing ones after:
 * PortalsController#update stores the list it is sent, so a list of only the workspace's locales
 * would take the portal's others away. Its default locale is sent back unchanged for the same reason.
 */
export function portalLocalesPatch(
  portal: { config?: Record<string, unknown> | null; meta?: unknown },
  wanted: readonly string[],
): { allowed_locales: string[]; default_locale: string } | undefined {
  const listed = Array.isArray(portal.config?.allowed_locales) ? portal.config.allowed_locales : [];
  const codes = listed
    .map((entry: unknown) =>
      typeof entry === 'string'
        ? entry
        : entry && typeof entry === 'object' && typeof (entry as { code?: unknown }).code === 'string'
          ? (entry as { code: string }).code
          : '',
    )
    .filter((code) => code !== '');
  // Portal#allowed_locale_codes: a portal with none allows its default locale, or English.
  const meta = portal.meta && typeof portal.meta === 'object' ? (portal.meta as Record<string, unknown>) : {};
  const stated = [portal.config?.default_locale, meta.default_locale].find(
    (locale): locale is string => typeof locale === 'string' && locale !== '',
  );
  const allowedNow = codes.length > 0 ? [...new Set(codes)] : [stated ?? 'en'];
  const missing = wanted.filter((locale) => !allowedNow.includes(locale));
  if (missing.length === 0) return undefined;
  return { allowed_locales: [...allowedNow, ...missing], default_locale: stated ?? allowedNow[0] ?? 'en' };
}
