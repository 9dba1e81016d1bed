/**
 * `make demo`'s check of identity through the widget: a few returning users (users with an external
 * id whose imported contact has conversations) open the Chatwoot sandbox's widget and are identified
 * with the requests `$chatwoot.setUser` makes; each must land on the contact the migration imported.
 */

import { identifyWidgetVisitor } from './sandbox/chatwoot/widgetClient.js';
import type { Scenario } from './sandbox/scenario.js';

export async function widgetIdentitiesLine(scenario: Scenario, wanted = 5): Promise<string> {
  const account = scenario.chatwoot.state.account(scenario.account);
  const returning = scenario.intercom.dataset.contacts
    .map((user) => {
      const identifier = (user.external_id ?? '').trim();
      const imported = identifier ? account.contacts.find((c) => c.identifier === identifier) : undefined;
      const history = imported ? account.conversations.filter((c) => c.contactId === imported.id).length : 0;
      return { user, identifier, imported, history };
    })
    .filter((candidate) => candidate.imported && candidate.history > 0)
    .slice(0, wanted);
  const contactsBefore = account.contacts.length;
  let found = 0;
  for (const { user, identifier, imported, history } of returning) {
    const visitor = await identifyWidgetVisitor(
      scenario.chatwoot.url,
      scenario.widget.websiteToken,
      identifier,
      {
        name: user.name ?? undefined,
        email: user.email ?? undefined,
      },
    );
    const conversations = account.conversations.filter((c) => c.contactId === visitor.contactId).length;
    if (visitor.contactId === imported?.id && conversations >= history) found++;
  }
  const created = account.contacts.length - contactsBefore;
  return `widget identities: ${found}/${returning.length} returning users found their history; contacts created: ${created}`;
}
