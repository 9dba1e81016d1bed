/**
 * Automation rules and webhooks of the Chatwoot account run on every conversation and message the
 * import creates: AutomationRuleListener (app/listeners/automation_rule_listener.rb) evaluates each
 * `active` rule on conversation_created, conversation_updated, conversation_opened and message_created,
 * and its actions send e-mails, messages and assignments; WebhookListener
 * (app/listeners/webhook_listener.rb) posts every such event to each account webhook subscribed to it.
 * A migration of years of history would fire them thousands of times, so preflight lists them and
 * refuses unless the operator paused them or said to proceed anyway.
 */
import { log } from '@temporalio/activity';
import type { ChatwootClient } from '../clients/chatwoot/client.js';
import type { Inbox } from '../clients/chatwoot/schemas.js';
import type { MigrationInput } from '../config.js';

/** The events an import sets off (Webhook::ALLOWED_WEBHOOK_EVENTS that conversations, messages and contacts raise). */
const IMPORT_EVENTS = new Set([
  'conversation_created',
  'conversation_updated',
  'conversation_status_changed',
  'message_created',
  'message_updated',
  'contact_created',
  'contact_updated',
]);

/** Ids and counts only: this lands in the workflow history. */
export interface AutomationsFound {
  activeAutomationRules: number;
  /** Account webhooks that would fire, and the archive inbox's own webhook URL if it has one. */
  webhooks: number;
}

/**
 * Lists the active rules and the webhooks that would fire; answers the refusal's text when any is
 * found and the input does not allow them, undefined otherwise. Names and URLs go to the worker's
 * log only: a webhook URL often carries a secret, and rule names are free text.
 */
export async function checkAutomations(
  admin: ChatwootClient,
  input: MigrationInput,
  archive?: Inbox,
): Promise<{ found: AutomationsFound; refusal?: string }> {
  const inboxId = archive?.id;
  const rules = (await admin.listAutomationRules()).filter((rule) => rule.active !== false);
  const webhooks = (await admin.listWebhooks()).filter(
    (webhook) =>
      (webhook.subscriptions ?? [...IMPORT_EVENTS]).some((event) => IMPORT_EVENTS.has(event)) &&
      (webhook.inbox == null || inboxId === undefined || webhook.inbox.id === inboxId),
  );
  // An API inbox's own webhook_url gets every event of the inbox (Webhooks::Trigger via
  // WebhookListener#deliver_api_inbox_webhooks): an existing archive inbox with one is refused here,
  // before anything is written, rather than when setup finds it.
  const inboxWebhook = archive?.channel_type === 'Channel::Api' && !!archive.webhook_url;
  const found = {
    activeAutomationRules: rules.length,
    webhooks: webhooks.length + (inboxWebhook ? 1 : 0),
  };
  if (found.activeAutomationRules === 0 && found.webhooks === 0) return { found };
  log.warn('active automation rules or webhooks in the Chatwoot account', {
    account: input.account,
    // Ids only: a rule's name is free text an administrator typed (often an agent's or customer's name).
    rules: rules.map((rule) => ({ id: rule.id, event: rule.event_name })),
    webhooks: webhooks.map((webhook) => ({ id: webhook.id, host: hostOf(webhook.url) })),
    inboxWebhookHost: inboxWebhook ? hostOf(archive?.webhook_url) : undefined,
    proceeding: input.chatwoot.allowActiveAutomations,
  });
  if (input.chatwoot.allowActiveAutomations) return { found };
  const parts: string[] = [];
  if (rules.length > 0) {
    const listed = rules.map((rule) => `${rule.id} on ${rule.event_name ?? 'an event'}`).join(', ');
    parts.push(
      `${rules.length} active automation rule(s) (id ${listed}): switch each off in Settings → Automation, or PATCH /api/v1/accounts/${input.account}/automation_rules/<id> with {"active": false}, and back on after the import`,
    );
  }
  if (webhooks.length > 0) {
    parts.push(
      `${webhooks.length} webhook(s) subscribed to conversation or message events (id ${webhooks.map((webhook) => webhook.id).join(', ')}): Chatwoot cannot pause a webhook, so delete it in Settings → Integrations → Webhooks and add it again after the import`,
    );
  }
  if (inboxWebhook) {
    parts.push(
      `an archive inbox "${input.chatwoot.inboxName}" (inbox ${inboxId}) with a webhook URL, called for every conversation and message of the inbox: clear it in Settings → Inboxes → ${input.chatwoot.inboxName} → Configuration, or choose another chatwoot.inboxName`,
    );
  }
  return {
    found,
    refusal: `Chatwoot account ${input.account} has ${parts.join('; and ')}. They would run on every conversation and message the import creates (e-mails, auto-replies, assignments, webhook calls); the worker's log names them. To run them anyway, start the migration with "chatwoot": {"allowActiveAutomations": true}`,
  };
}

function hostOf(url: string | null | undefined): string {
  try {
    return new URL(url ?? '').host;
  } catch {
    return 'unparsable';
  }
}
