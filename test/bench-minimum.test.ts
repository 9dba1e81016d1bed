/**
 * The bench's minimum (scripts/bench/minimum.ts) moves with the workspace as Chatwoot's API says it
 * must: each case changes one conversation and checks the one route that changes.
 */
import assert from 'node:assert/strict';
import { minimumRequests, ROUTES } from '../scripts/bench/minimum.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import type { SandboxDump } from '../src/sandbox/chatwoot/index.js';
import type { IntercomDataset } from '../src/sandbox/intercom/dataset.js';
import { generateWorkspace } from '../src/sandbox/intercom/generator.js';

const options = { account: 1, activityParts: 'activity' as const, timestampLine: true, reconciled: true };
const emptyChatwoot = { accounts: [{ id: 1, users: [], conversations: [] }] } as unknown as SandboxDump;

function workspace(): IntercomDataset {
  return generateWorkspace({ seed: 5, conversations: 12, partsPerConversation: 3, longConversations: 0 });
}

const minimumOf = (dataset: IntercomDataset) => minimumRequests(dataset, emptyChatwoot, options);

/** A conversation of the workspace that is not deleted, for a case to change. */
function someConversation(dataset: IntercomDataset, test: (c: Conversation) => boolean): Conversation {
  const deleted = new Set(dataset.deletedConversations.map((d) => d.id));
  const found = (dataset.conversations as Conversation[]).find((c) => !deleted.has(c.id) && test(c));
  assert.ok(found, 'the workspace has such a conversation');
  return found;
}

describe('the bench minimum', () => {
  for (const [kind, customAttributes, notedMore] of [
    ['numbers and booleans (a form stores their text)', { 'Refund amount': 12.5, 'Follow up': true }, 0],
    ['a null (a form cannot carry it)', { 'Order number': null }, 1],
  ] as const) {
    it(`counts a first message with attachments inside the create; with ${kind}, notes ${notedMore} sent on its own`, () => {
      const dataset = workspace();
      const conversation = someConversation(
        dataset,
        (c) =>
          (c.source.attachments?.length ?? 0) === 0 && typeof c.conversation_parts?.total_count === 'number',
      );
      conversation.custom_attributes = { ...customAttributes };
      const before = minimumOf(dataset);
      conversation.source.attachments = [
        {
          type: 'upload',
          name: 'a.png',
          url: 'https://example.test/a.png',
          content_type: 'image/png',
          filesize: 10,
        },
      ] as typeof conversation.source.attachments;
      const after = minimumOf(dataset);
      assert.equal(after.importByRoute[ROUTES.messageCreate], before.importByRoute[ROUTES.messageCreate]);
      assert.equal(
        after.importByRoute[ROUTES.conversationCreate],
        before.importByRoute[ROUTES.conversationCreate],
      );
      const onItsOwn = (m: typeof after) =>
        Number(/(\d+) first messages with attachments/.exec(m.notes.join('; '))?.[1] ?? 0);
      assert.equal(onItsOwn(after), onItsOwn(before) + notedMore);
    });
  }

  it('counts a toggle for a conversation snoozed until a time, which the bulk job cannot set', () => {
    const dataset = workspace();
    const conversation = someConversation(dataset, (c) => c.state !== 'snoozed');
    const before = minimumOf(dataset);
    conversation.state = 'snoozed';
    conversation.snoozed_until = conversation.updated_at + 86_400;
    const after = minimumOf(dataset);
    assert.equal(after.importByRoute[ROUTES.toggleStatus], before.importByRoute[ROUTES.toggleStatus] + 1);
  });

  it('counts nothing for a team, which the create takes', () => {
    const dataset = workspace();
    const team = dataset.teams[0];
    assert.ok(team);
    const conversation = someConversation(dataset, (c) => !c.team_assignee_id);
    const before = minimumOf(dataset);
    conversation.team_assignee_id = team.id as Conversation['team_assignee_id'];
    assert.deepEqual(minimumOf(dataset).importByRoute, before.importByRoute);
  });
});
