/**
 * GET /contacts/:id/conversations as Chatwoot 4.10 answers it
 * (app/controllers/api/v1/accounts/contacts/conversations_controller.rb: `.order(id: :desc).limit(20)`,
 * no pages), and an erasure of a person with more conversations than that: every one is deleted
 * before the contact is redacted, the older ones found as the newer are deleted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityDeps } from '../src/activities/deps.js';
import {
  type ChatwootErasure,
  createErasureChatwootActivities,
} from '../src/activities/erasure/chatwootWrites.js';
import { parseMigrationInput } from '../src/config.js';
import type { ActingUser } from '../src/sandbox/chatwoot/auth.js';
import type { AccountRecord } from '../src/sandbox/chatwoot/records.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import { putJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import { call, type Json, ok } from './helpers/chatwootApi.js';
import { workerEnvironment } from './helpers/migrationHarness.js';

const CONVERSATIONS = 45;
const EMAIL = 'many.conversations@example.com';

describe('a contact with more than 20 conversations', function () {
  this.timeout(60_000);
  let scenario: Scenario;
  let dataDir: string;
  let contactId: number;
  let inboxId: number;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'i2c-contact-conversations-'));
    scenario = await startScenario({ seed: 81, conversations: 2, partsPerConversation: 2 });
    const { state } = scenario.chatwoot;
    const account: AccountRecord = state.account(scenario.account);
    const user = state.users.get(1);
    assert.ok(user);
    const admin: ActingUser = { user, role: 'administrator' };
    inboxId = state.createInbox(account, { name: 'Elsewhere', channel: { type: 'api' } }, admin).id;
    const { contact } = await state.createContact(account, { name: 'Many', email: EMAIL, inbox_id: inboxId });
    contactId = contact.id;
    for (let i = 0; i < CONVERSATIONS; i++) {
      state.createConversation(
        account,
        { inbox_id: inboxId, contact_id: contactId, source_id: `s-${i}`, status: 'resolved' },
        admin,
      );
    }
  });

  after(async () => {
    await scenario?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the sandbox lists the newest 20 by id, and no page parameter shows more', async () => {
    const path = `/api/v1/accounts/${scenario.account}/contacts/${contactId}/conversations`;
    const all = scenario.chatwoot.state
      .account(scenario.account)
      .conversations.filter((conversation) => conversation.contactId === contactId)
      .map((conversation) => conversation.displayId)
      .sort((a, b) => b - a);
    assert.equal(all.length, CONVERSATIONS);
    const first = (await ok(scenario.chatwoot, 'GET', path, undefined, scenario.chatwootToken))
      .payload as Json[];
    assert.deepEqual(
      first.map((conversation) => conversation.id),
      all.slice(0, 20),
    );
    const second = await call(scenario.chatwoot, 'GET', `${path}?page=2`, { token: scenario.chatwootToken });
    assert.deepEqual(
      (second.json.payload as Json[]).map((conversation) => conversation.id),
      all.slice(0, 20),
    );
  });

  it('the erasure deletes all of them before redacting the contact', async () => {
    const parsed = parseMigrationInput(scenario.input(`file://${join(dataDir, 'blobs')}`));
    assert.ok(parsed.ok);
    const { input } = parsed;
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const ref = 'test-ref';
    await putJson(deps.store(input), blobLayout.erasureRequest(input.account, ref), {
      email: EMAIL,
      requestedAt: new Date(0).toISOString(),
    });
    const { eraseInChatwoot } = createErasureChatwootActivities(deps);
    const result: ChatwootErasure = await new MockActivityEnvironment().run(eraseInChatwoot, {
      input,
      ref,
      intercomContactIds: [],
      mode: 'redact' as const,
    });
    assert.deepEqual(result.contactIds, [contactId]);
    assert.equal(result.conversationsDeleted, CONVERSATIONS);
    assert.equal(result.contactsRedacted, 1);
    const left = scenario.chatwoot.state
      .account(scenario.account)
      .conversations.filter((conversation) => conversation.contactId === contactId);
    assert.deepEqual(left, []);
  });
});
