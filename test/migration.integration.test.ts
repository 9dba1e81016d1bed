/**
 * A whole migration on the real local Temporal server against the two sandboxes, reconciled from
 * the sandboxes' own state: everything Intercom's API delivers is in Chatwoot exactly once.
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MigrationInputRaw } from '../src/config.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { MIGRATION_PHASE } from '../src/workflows/definitions.js';
import { importWorkflow } from '../src/workflows/importWorkflow.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

describe('a migration on the embedded defaults', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let env: TestWorkflowEnvironment;
  let scenario: Scenario;
  let input: MigrationInputRaw;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 7,
        conversations: 60,
        partsPerConversation: 5,
        caseDuplicateContacts: 4,
        attachmentEvery: 4,
        inlineImageEvery: 7,
        longConversations: 1,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
        // Opening messages without id, blank authors and `pages: null`, as the API description allows.
        nullableFieldRate: 0.1,
      },
    });
    ({ env, scenario } = rig);
    input = rig.input({ import: { ...scenario.input('').import, windowSize: 8, childrenPerRun: 25 } });
  });

  after(() => rig?.close());

  const reconcile = () => scenario.reconcile();

  it('migrates every contact, conversation, message and attachment exactly once', async () => {
    const handle = await rig.start(input);
    const result = (await handle.result()) as MigrationResult;
    const summary = reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.ok(
      summary.conversations.expected >= 50,
      `expected at least 50 conversations, got ${summary.conversations.expected}`,
    );
    assert.ok(summary.attachments.expected > 0);
    assert.equal(summary.conversations.found, summary.conversations.expected);
    // The workflow's own verification, through Chatwoot's API, agrees with the sandbox's state.
    assert.equal(result.reconciliation.conversations.found, summary.conversations.found);
    assert.equal(result.reconciliation.messages.found, summary.messages.found);
    assert.equal(result.reconciliation.duplicates, 0);
    assert.ok(result.rolloutFinished);
    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(MIGRATION_PHASE), 'done');

    const dump = scenario.chatwoot.dump().accounts[0];
    const migrated = dump.conversations.filter(
      (c) => typeof c.custom_attributes.intercom_conversation_id === 'string',
    );
    assert.ok(migrated.every((c) => c.labels.includes('from_intercom')));

    // Contact notes (all of them, past the 10 the contact object shows), labels from tags, companies.
    assert.ok(summary.notes && summary.notes.expected >= 12, 'the workspace has notes');
    assert.equal(summary.notes.found, summary.notes.expected);
    const dataset = scenario.intercom.dataset;
    const holder = (intercomId: string) =>
      dump.contacts.find((contact) => contact.additional_attributes.intercom_id === intercomId);
    const busiest = holder(dataset.contacts[0]?.id ?? '');
    assert.equal(busiest?.notes.length, 12);
    assert.match(
      busiest?.notes[0]?.content ?? '',
      /^Intercom note #\d+ · .+ · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    assert.ok((busiest?.labels.length ?? 0) >= 6, 'the busiest contact has a label for each of its tags');
    const manyCompanies = holder(dataset.contacts[1]?.id ?? '');
    assert.equal(typeof manyCompanies?.additional_attributes.company_name, 'string');
    assert.equal((manyCompanies?.additional_attributes.other_companies as unknown[] | undefined)?.length, 11);
    const byIntercomId = new Map(
      migrated.map((c) => [c.custom_attributes.intercom_conversation_id as string, c]),
    );
    for (const conversation of scenario.intercom.dataset.conversations) {
      const target = byIntercomId.get(conversation.id);
      if (!target) continue;
      const expected = conversation.state === 'closed' ? 'resolved' : conversation.state;
      assert.equal(target.status, expected, `status of ${conversation.id}`);
    }
  });

  it('changes nothing when the import runs again (exactly once)', async () => {
    const before = scenario.chatwoot.dump().accounts[0];
    const messagesBefore = before.conversations.reduce((sum, c) => sum + c.messages.length, 0);
    const parsed = (await import('../src/config.js')).migrationInputSchema().parse(input);
    await env.client.workflow.execute(importWorkflow, {
      taskQueue: 'migration',
      workflowId: 'migration-1/import-again',
      args: [
        {
          input: parsed,
          manifestKey: 'acct-1/export/conversations/manifest.json',
          contactsManifestKey: 'acct-1/export/contacts/manifest.json',
        },
      ],
    });
    const after = scenario.chatwoot.dump().accounts[0];
    const notesOf = (dump: typeof after) =>
      dump.contacts.flatMap((contact) => contact.notes.map((note) => note.id));
    assert.deepEqual(notesOf(after), notesOf(before), 'no note written twice');
    assert.deepEqual(
      after.contacts.map((contact) => contact.labels),
      before.contacts.map((contact) => contact.labels),
    );
    assert.equal(after.conversations.length, before.conversations.length);
    assert.equal(
      after.conversations.reduce((sum, c) => sum + c.messages.length, 0),
      messagesBefore,
    );
    assert.equal(reconcile().duplicates, 0);
  });

  it('refuses an invalid input with a clear, non-retryable error', async () => {
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: 'migration-invalid',
      args: [{ account: -3, chatwoot: { baseUrl: 'not a url' } }],
    });
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      const message = String(error.cause?.message);
      assert.match(message, /invalid migration input/);
      assert.match(message, /account/);
      assert.match(message, /chatwoot\.baseUrl/);
      return true;
    });
  });
});
