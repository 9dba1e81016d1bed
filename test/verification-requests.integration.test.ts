/**
 * The verification after a whole migration: what it counts agrees with the sandboxes' own
 * reconciliation, it costs at most 1.1 Chatwoot requests per conversation (the archive inbox paged 25
 * at a time, each conversation's messages in one request, contacts paged) besides one request per
 * contact with notes, and it still finds a duplicated conversation and a duplicated message.
 */
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ReconciliationSummary } from '../src/activities/contract.js';
import { ActivityDeps } from '../src/activities/deps.js';
import { createVerificationActivities } from '../src/activities/verification/chatwootWrites.js';
import { parseMigrationInput } from '../src/config.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig, workerEnvironment } from './helpers/migrationHarness.js';

describe('the verification through Chatwoot’s API', function () {
  this.timeout(600_000);
  let rig: MigrationRig;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 11,
        conversations: 120,
        partsPerConversation: 6,
        attachmentEvery: 5,
        longConversations: 1,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
  });
  after(() => rig?.close());

  it('reads the archive inbox and each conversation once, and still finds duplicates', async () => {
    const raw = rig.input();
    const handle = await rig.start(raw);
    const result = (await handle.result()) as MigrationResult;
    const parsed = parseMigrationInput(raw);
    assert.ok(parsed.ok);
    const { scenario } = rig;
    const independent = scenario.reconcile();
    assert.equal(independent.duplicates, 0);

    const { reconcileMigration } = createVerificationActivities(
      new ActivityDeps(workerEnvironment(scenario)),
    );
    const verify = (): Promise<ReconciliationSummary> =>
      new MockActivityEnvironment().run(reconcileMigration, { input: parsed.input });
    const byRoute = () => ({ ...scenario.chatwoot.stats.byRoute });
    const before = byRoute();
    const summary = await verify();
    const after = byRoute();
    const sent = (route: string) => (after[route] ?? 0) - (before[route] ?? 0);
    const total = Object.keys(after).reduce((sum, route) => sum + sent(route), 0);

    for (const key of ['contacts', 'conversations', 'messages', 'attachments', 'notes', 'tickets'] as const) {
      assert.deepEqual(summary[key], independent[key], key);
      assert.deepEqual(summary[key], result.reconciliation[key], `${key}: the workflow's own verification`);
    }
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);

    const A = '/api/v1/accounts/:account_id';
    const conversations = summary.conversations.found + (summary.tickets?.found ?? 0);
    const notes = sent(`GET ${A}/contacts/:contact_id/notes`);
    assert.equal(sent(`POST ${A}/conversations/filter`), 0, 'no conversation filter when none is missing');
    assert.equal(sent(`POST ${A}/contacts/filter`), 0, 'contacts paged, not filtered one by one');
    assert.equal(sent(`GET ${A}/conversations/:id/messages`), conversations, 'one messages request each');
    assert.ok(sent(`GET ${A}/conversations`) <= Math.ceil(conversations / 25) + 1);
    // Ticket conversations are in the archive inbox too, and cost the same.
    const perConversation =
      (total - notes) / (summary.conversations.expected + (summary.tickets?.expected ?? 0));
    console.log(
      `      verification: ${total} requests for ${summary.conversations.expected} conversations ` +
        `(${(total / summary.conversations.expected).toFixed(3)} each; ${perConversation.toFixed(3)} ` +
        `without the ${notes} contact-notes reads)`,
    );
    assert.ok(perConversation <= 1.1, `${perConversation} requests per conversation`);

    // A conversation twice (a second one with the same Intercom id) and a message twice.
    const dump = scenario.chatwoot.dump().accounts[0];
    const migrated = dump.conversations.find(
      (c) => typeof c.custom_attributes.intercom_conversation_id === 'string' && c.messages.length > 0,
    );
    assert.ok(migrated);
    const intercomId = migrated.custom_attributes.intercom_conversation_id as string;
    const call = async (path: string, body: unknown) => {
      const response = await fetch(`${scenario.chatwoot.url}/api/v1/accounts/${scenario.account}${path}`, {
        method: 'POST',
        headers: { api_access_token: scenario.chatwootToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return response.json() as Promise<{ id: number }>;
    };
    await call('/conversations', {
      inbox_id: migrated.inbox_id,
      contact_id: migrated.contact_id,
      custom_attributes: { intercom_conversation_id: intercomId },
    });
    const sourced = migrated.messages.find((m) => typeof m.source_id === 'string' && m.source_id !== '');
    assert.ok(sourced);
    await call(`/conversations/${migrated.display_id}/messages`, {
      content: 'again',
      message_type: 'outgoing',
      private: true,
      source_id: sourced.source_id,
    });
    const again = await verify();
    assert.equal(again.duplicates, 2);
    const report = JSON.parse(
      (
        (await new ActivityDeps(workerEnvironment(scenario))
          .store(parsed.input)
          .get(again.reportKey)) as Buffer
      ).toString('utf8'),
    );
    assert.deepEqual(report.duplicateConversations, [intercomId]);
    assert.deepEqual(report.conversationsWithDuplicateMessages, [
      { conversationId: intercomId, duplicateSourceIds: [sourced.source_id] },
    ]);
  });
});
