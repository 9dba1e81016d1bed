/**
 * Contact identifiers through a whole migration on the real local Temporal server and both sandboxes:
 * users are imported under their external id; a migration imported with the old `intercom:<id>` form
 * is found again by a repeated import (no second contact), and the rekeyContacts workflow gives each
 * such contact its external id, merging in the contact the widget made for a returning customer
 * meanwhile. A second run changes nothing.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { parseMigrationInput, workflowIds } from '../src/config.js';
import { contactKeysChanged } from '../src/sandbox/chatwoot/contacts.js';
import type { ContactRecord } from '../src/sandbox/chatwoot/index.js';
import { identifyWidgetVisitor } from '../src/sandbox/chatwoot/widgetClient.js';
import { blobLayout } from '../src/storage/layout.js';
import { statusQuery } from '../src/workflows/definitions.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';
import { waitFor } from './helpers/processes.js';

const ACCOUNT = 1;

/** The reconciliation's findings about contacts: which contact holds a conversation, and each contact's own. */
const contactProblems = (problems: string[]) => problems.filter((problem) => /contact|e-mail/.test(problem));

describe('contact identifiers and the re-key step (integration)', function () {
  this.timeout(600_000);
  let rig: MigrationRig;
  let handle: WorkflowHandle;

  const account = () => rig.scenario.chatwoot.state.account(ACCOUNT);
  const usersWithExternalIds = () =>
    rig.scenario.intercom.dataset.contacts.filter((contact) => (contact.external_id ?? '').trim() !== '');
  const byIdentifier = (identifier: string): ContactRecord | undefined =>
    account().contacts.find((contact) => contact.identifier === identifier);
  const parsedInput = () => {
    const parsed = parseMigrationInput(
      rig.input({ rollout: { phaseDuration: '1s', deltaSyncInterval: '1h', autoStart: false } }),
    );
    assert.ok(parsed.ok);
    return parsed.input;
  };

  before(async () => {
    rig = await startMigrationRig({
      scenario: { seed: 77, conversations: 16, partsPerConversation: 3, caseDuplicateContacts: 2 },
    });
    handle = await rig.start(
      rig.input({ rollout: { phaseDuration: '1s', deltaSyncInterval: '1h', autoStart: false } }),
    );
    // The rollout waits for advanceRollout: the import and its verification are over.
    await waitFor(
      'the migration to reach the rollout',
      async () => (await handle.query(statusQuery)).phase === 'rollout',
      { timeoutMs: 300_000, intervalMs: 500 },
    );
  });

  after(async () => {
    await handle?.terminate('test over').catch(() => undefined);
    await rig?.close();
  });

  it('imports users under their external id, and the independent reconciliation agrees', () => {
    const users = usersWithExternalIds();
    assert.ok(users.length >= 3, 'the workspace has users with external ids');
    const found = users.filter((user) => byIdentifier((user.external_id as string).trim()));
    // Contacts merged by e-mail into another contact stand under that contact's identifier.
    assert.ok(
      found.length >= users.length - 2,
      `${found.length} of ${users.length} users under their external id`,
    );
    const reconciliation = rig.scenario.reconcile();
    assert.deepEqual(contactProblems(reconciliation.problems), []);
    assert.equal(reconciliation.contacts.found, reconciliation.contacts.expected);
    assert.equal(reconciliation.duplicates, 0);
  });

  it('re-keys contacts imported as intercom:<id>, merging the widget’s contact in; idempotent', async () => {
    // As an import before external ids left them: every contact under intercom:<id>.
    const downgraded = new Map<number, string>();
    for (const contact of account().contacts) {
      const intercomId = contact.additionalAttributes.intercom_id;
      if (typeof intercomId !== 'string' || contact.identifier === `intercom:${intercomId}`) continue;
      downgraded.set(contact.id, contact.identifier as string);
      contact.identifier = `intercom:${intercomId}`;
      // Written as an earlier import left it, past the sandbox's API: its uniqueness index is told.
      contactKeysChanged(account(), contact);
    }
    assert.ok(downgraded.size >= 3);
    const [returningId, returningExternalId] = [...downgraded][0] as [number, string];
    const importedConversations = account().conversations.filter((c) => c.contactId === returningId).length;

    // A returning customer on the widget during the parallel run: no contact has its identifier yet.
    const visitor = await identifyWidgetVisitor(
      rig.scenario.chatwoot.url,
      rig.scenario.widget.websiteToken,
      returningExternalId,
      { name: 'Returning customer' },
    );
    assert.notEqual(visitor.contactId, returningId, 'the old form strands the visitor on a new contact');
    const live = await fetch(`${rig.scenario.chatwoot.url}/api/v1/accounts/${ACCOUNT}/conversations`, {
      method: 'POST',
      headers: { api_access_token: rig.scenario.chatwootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ inbox_id: rig.scenario.widget.inboxId, contact_id: visitor.contactId }),
    });
    assert.equal(live.status, 200, await live.clone().text());
    const liveConversation = ((await live.json()) as { id: number }).id;

    // A repeated import finds every contact under either form and creates none.
    const contactsBefore = account().contacts.length;
    const input = parsedInput();
    await rig.client.workflow.execute('importWorkflow', {
      taskQueue: 'migration',
      workflowId: `${workflowIds.child(ACCOUNT, 'import')}-again`,
      args: [
        {
          input: { ...input, run: 'repeat-import' },
          manifestKey: blobLayout.entityManifest(ACCOUNT, 'conversations'),
          contactsManifestKey: blobLayout.entityManifest(ACCOUNT, 'contacts'),
        },
      ],
    });
    assert.equal(account().contacts.length, contactsBefore, 'no contact created by the repeated import');
    assert.equal(
      account().conversations.filter((c) => c.contactId === returningId).length,
      importedConversations,
    );

    const rekey = () =>
      rig.client.workflow.execute('rekeyContacts', {
        taskQueue: 'migration',
        workflowId: workflowIds.child(ACCOUNT, 'rekey-contacts'),
        args: [rig.input()],
      });
    const first = (await rekey()) as {
      rekeyed: number;
      merged: number;
      unchanged: number;
      conflicts: number;
    };
    assert.equal(first.rekeyed, downgraded.size);
    assert.equal(first.merged, 1);
    assert.equal(first.conflicts, 0);
    for (const [id, identifier] of downgraded) {
      assert.equal(byIdentifier(identifier)?.id, id, `${identifier} is the imported contact ${id} again`);
    }
    assert.equal(
      account().contacts.some((contact) => contact.id === visitor.contactId),
      false,
      'the widget contact is merged into the imported one',
    );
    const returning = account()
      .conversations.filter((c) => c.contactId === returningId)
      .map((c) => c.displayId);
    assert.equal(returning.length, importedConversations + 1);
    assert.ok(
      returning.includes(liveConversation),
      'the parallel-run conversation moved to the imported contact',
    );
    // The visitor's session now belongs to the imported contact: its next setUser stays there.
    const again = await identifyWidgetVisitor(
      rig.scenario.chatwoot.url,
      rig.scenario.widget.websiteToken,
      returningExternalId,
      { name: 'Returning customer' },
    );
    assert.equal(again.contactId, returningId);

    const second = (await rekey()) as { rekeyed: number; merged: number; unchanged: number };
    assert.equal(second.rekeyed, 0);
    assert.equal(second.merged, 0);
    assert.equal(second.unchanged, first.rekeyed + first.unchanged);
    const reconciliation = rig.scenario.reconcile();
    assert.deepEqual(contactProblems(reconciliation.problems), []);
    assert.equal(reconciliation.contacts.found, reconciliation.contacts.expected);
    assert.equal(reconciliation.duplicates, 0);
  });
});
