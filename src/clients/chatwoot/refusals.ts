/**
 * Chatwoot answers 401 for two different problems, and they need different fixes:
 * - the token: no such token, `{"error":"Invalid Access Token"}` (AccessTokenAuthHelper), or a user
 *   outside the account, `{"error":"You are not authorized to access this account"}`;
 * - a policy: the token is fine but Pundit refuses the action, `{"error":"You are not authorized to do
 *   this action"}` (ApplicationController rescues Pundit::NotAuthorizedError with render_unauthorized).
 *   For conversations that is ConversationPolicy#show?: only administrators, members of the
 *   conversation's inbox and members of its team may act on it.
 * Telling an operator to replace a valid token for the second would send them the wrong way.
 */
import { HttpFailure } from '../httpFailure.js';

export const POLICY_REFUSAL = 'You are not authorized to do this action';

export function isPolicyRefusal(bodyText: string): boolean {
  try {
    const body: unknown = JSON.parse(bodyText);
    return (
      typeof body === 'object' && body !== null && (body as { error?: unknown }).error === POLICY_REFUSAL
    );
  } catch {
    return false;
  }
}

const ADMIN_TOKEN = 'CHATWOOT_TOKEN';

/** A valid token whose user a Chatwoot policy refused: final, and an access refusal (401) to workflows. */
export class ChatwootPolicyRefusal extends HttpFailure {
  constructor(
    readonly endpoint: string,
    readonly accountId: number,
    readonly tokenSource: string,
    message = ChatwootPolicyRefusal.describe(endpoint, accountId, tokenSource),
  ) {
    super(message, 'chatwoot', 401, false);
  }

  private static describe(endpoint: string, accountId: number, tokenSource: string): string {
    const refused = `Chatwoot refused ${endpoint} (401 "${POLICY_REFUSAL}")`;
    if (tokenSource === ADMIN_TOKEN) {
      return `${refused}: CHATWOOT_TOKEN is valid, but its user may not do this; the migration needs an administrator of account ${accountId}`;
    }
    return `${refused} to the user of ${tokenSource}: the token is valid, but Chatwoot lets an agent act on a conversation only as a member of the conversation's inbox or team; add that agent to the inbox in Chatwoot (Settings > Inboxes > Collaborators), then resume the migration`;
  }

  /** The same refusal naming the inbox the agent must be added to (id and the operator's own name for it). */
  inInbox(inbox: { id: number; name: string }): ChatwootPolicyRefusal {
    if (this.tokenSource === ADMIN_TOKEN) return this;
    return new ChatwootPolicyRefusal(
      this.endpoint,
      this.accountId,
      this.tokenSource,
      `Chatwoot refused ${this.endpoint} (401 "${POLICY_REFUSAL}") to the user of ${this.tokenSource}: the token is valid, but that agent is not a member of the archive inbox "${inbox.name}" (inbox ${inbox.id}) of account ${this.accountId}, and Chatwoot lets an agent act on a conversation only as a member of its inbox or team. Add the agent to that inbox (Settings > Inboxes > ${inbox.name} > Collaborators), then resume the migration`,
    );
  }
}
