/**
 * Requests the import spares, on a whole migration against the sandboxes (issue 15): a contact's
 * companies ride in its POST /contacts (no PUT afterwards), a ticket's conversation is created
 * with its first message, and on an account no import has written to, contacts and tickets are
 * created without a look-up each (one question per run instead). What Chatwoot holds is checked
 * alongside, so that sparing a request never costs a value.
 */
import assert from 'node:assert/strict';
import type { ReconciliationReport } from '../src/activities/verification/chatwootWrites.js';
import { getJson } from '../src/storage/blobStore.js';
import { createBlobStore } from '../src/storage/index.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const A = '/api/v1/accounts/:account_id';

describe('requests the import spares', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let result: MigrationResult;
  /** Every Chatwoot API request, `METHOD /path` with the real ids, in arrival order. */
  const requests: string[] = [];
  /** Every routed request as `METHOD pattern` with its parameters, in the order handled. */
  const calls: { route: string; params: Readonly<Record<string, unknown>> }[] = [];

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 31,
        conversations: 24,
        partsPerConversation: 3,
        tickets: 7,
        caseDuplicateContacts: 2,
        chatwootMessagesPerMinute: 3000,
        onChatwootRequest: (_at, endpoint) => requests.push(endpoint),
        onChatwootCall: (route, params) => calls.push({ route, params }),
      },
    });
    const input = rig.input({ import: { ...rig.scenario.input('').import, windowSize: 4 } });
    result = (await (await rig.start(input)).result()) as MigrationResult;
  });

  after(() => rig?.close());

  it('migrates the workspace completely (the premise of the counts below)', () => {
    const summary = rig.scenario.reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(result.reconciliation.duplicates, 0);
  });

  it('writes companies in the contact create: only a contact others merge into is updated', () => {
    const dataset = rig.scenario.intercom.dataset;
    const dump = rig.scenario.chatwoot.dump().accounts[0];
    // The test's own oracle: the e-mails several Intercom contacts share, ignoring case.
    const holders = new Map<string, number>();
    for (const contact of dataset.contacts) {
      const email = contact.email?.trim().toLowerCase();
      if (email) holders.set(email, (holders.get(email) ?? 0) + 1);
    }
    const withCompanies = dataset.contacts.filter((c) => (c.companies?.data?.length ?? 0) > 0);
    assert.ok(withCompanies.length >= 3, 'the workspace has contacts with companies');
    for (const contact of withCompanies) {
      const chatwoot = dump.contacts.find((c) => c.additional_attributes.intercom_id === contact.id);
      if (!chatwoot) continue; // merged into another by e-mail
      assert.equal(typeof chatwoot.additional_attributes.company_name, 'string', contact.id);
    }
    const updated = requests
      .map((r) => /^PUT \/api\/v1\/accounts\/\d+\/contacts\/(\d+)$/.exec(r)?.[1])
      .filter((id): id is string => id !== undefined);
    assert.ok(updated.length < withCompanies.length / 2, `${updated.length} contact updates`);
    for (const id of updated) {
      const contact = dump.contacts.find((c) => String(c.id) === id);
      const email = contact?.email?.toLowerCase();
      assert.ok(
        email && (holders.get(email) ?? 0) > 1,
        `contact ${id} was updated but nobody merges into it`,
      );
    }
  });

  it('creates contacts before any look-up on an account without earlier imports: one search a run', () => {
    const dataset = rig.scenario.intercom.dataset;
    const searches = calls.filter((c) => c.route === `GET ${A}/contacts/search`);
    assert.deepEqual(
      searches.map((c) => c.params.q),
      ['intercom:'],
      'asked once for the run',
    );
    const firstCreate = calls.findIndex((c) => c.route === `POST ${A}/contacts`);
    assert.ok(calls.indexOf(searches[0] as (typeof calls)[number]) < firstCreate, 'asked before any create');
    // A contact with an external id and no e-mail: identifier is the external id, and no unique field
    // would have refused a create under `intercom:<id>`. Here none can exist, so none is looked for first.
    const externalOnly = dataset.contacts.filter((c) => (c.external_id ?? '').trim() !== '' && !c.email);
    assert.ok(externalOnly.length >= 2, `${externalOnly.length} contacts with an external id only`);
    const createdAt = (identifier: string) =>
      calls.findIndex((c) => c.route === `POST ${A}/contacts` && c.params.identifier === identifier);
    const lookedUpBefore = externalOnly.filter((contact) => {
      const identifier = (contact.external_id as string).trim();
      const created = createdAt(identifier);
      if (created < 0) return false; // merged into another contact by e-mail, or made by a ticket
      return calls
        .slice(0, created)
        .some(
          (c) =>
            c.route === `POST ${A}/contacts/filter` &&
            JSON.stringify(c.params.payload).includes(`"intercom:${contact.id}"`),
        );
    });
    assert.deepEqual(
      lookedUpBefore.map((c) => c.id),
      [],
    );
    assert.ok(
      externalOnly.some((c) => createdAt((c.external_id as string).trim()) >= 0),
      'some were created',
    );
  });

  it('looks a ticket up only where it may exist: linked conversations one filter a ticket', () => {
    const dataset = rig.scenario.intercom.dataset;
    const conversationIds = new Set(dataset.conversations.map((c) => c.id));
    const tickets = dataset.tickets ?? [];
    const withLinks = tickets.filter((t) =>
      (t.linked_objects?.data ?? []).some((o) => o.type === 'conversation'),
    );
    // A ticket with a conversation's id may be that conversation converted: that one is looked for.
    const sharingAnId = tickets.filter((t) => conversationIds.has(t.id));
    assert.ok(withLinks.length >= 2, `${withLinks.length} tickets with linked conversations`);
    const filters = requests.filter((r) => r === 'POST /api/v1/accounts/1/conversations/filter').length;
    // One is_present question for the run, then per ticket at most its links and its converted twin.
    assert.equal(filters, 1 + withLinks.length + sharingAnId.length);
  });

  it("creates each ticket's conversation with its first message", () => {
    const dump = rig.scenario.chatwoot.dump().accounts[0];
    const tickets = dump.conversations.filter(
      (c) =>
        typeof c.custom_attributes.intercom_ticket_id === 'string' &&
        // A customer ticket that joined the conversation of its id was not created by the ticket import.
        c.custom_attributes.intercom_conversation_id === undefined,
    );
    assert.ok(tickets.length >= 3, `${tickets.length} ticket conversations`);
    for (const conversation of tickets) {
      const own = conversation.messages.filter(
        (m) => m.source_id && !m.source_id.startsWith('ticket-links:'),
      );
      const posts = requests.filter(
        (r) => r === `POST /api/v1/accounts/1/conversations/${conversation.display_id}/messages`,
      ).length;
      const links = conversation.messages.filter((m) => m.source_id?.startsWith('ticket-links:')).length;
      assert.equal(posts, own.length - 1 + links, `ticket conversation ${conversation.display_id}`);
      const opening = conversation.messages.find((m) => m.source_id);
      assert.equal(opening?.source_id, `source:ticket-${conversation.custom_attributes.intercom_ticket_id}`);
    }
  });

  it('creates every conversation with its first message, files included; the report lists what a form stored as text', async () => {
    const creates = calls.filter(
      (call) =>
        call.route === `POST ${A}/conversations` &&
        (call.params.custom_attributes as Record<string, unknown> | undefined)?.intercom_ticket_id ===
          undefined,
    );
    const exported = rig.scenario.intercom.dataset.conversations.length;
    assert.equal(creates.length, exported, 'one create per conversation');
    const messageOf = (call: (typeof creates)[number]) =>
      call.params.message as { source_id?: string; attachments?: unknown[] } | undefined;
    assert.deepEqual(
      creates.filter((call) => !messageOf(call)?.source_id).map((call) => call.params.custom_attributes),
      [],
      'no create without its first message',
    );
    const firstIds = new Set(creates.map((call) => messageOf(call)?.source_id));
    const postedAfter = calls.filter(
      (call) =>
        call.route === `POST ${A}/conversations/:conversation_id/messages` &&
        firstIds.has(call.params.source_id as string),
    );
    assert.deepEqual(
      postedAfter.map((call) => call.params.source_id),
      [],
      'no first message sent again',
    );
    // A form's values arrive as Rack hands them over: strings.
    const asForm = creates.filter((call) => (messageOf(call)?.attachments?.length ?? 0) > 0);
    assert.ok(asForm.length >= 3, `${asForm.length} first messages with files`);
    const formIds = asForm.map(
      (call) =>
        (call.params.custom_attributes as { intercom_conversation_id: string }).intercom_conversation_id,
    );
    for (const call of asForm) {
      const additional = call.params.additional_attributes as Record<string, unknown>;
      assert.equal(typeof additional.intercom_parts_exported, 'string');
    }
    const store = createBlobStore(rig.blobStoreUrl);
    const report = await getJson<ReconciliationReport>(store, result.reconciliation.reportKey);
    assert.deepEqual(
      (report?.valuesAsText ?? [])
        .map((item) => item.conversationId)
        .filter((id, i, all) => all.indexOf(id) === i)
        .sort(),
      [...formIds].sort(),
    );
    assert.ok(
      report?.valuesAsText?.some(
        (item) =>
          item.attribute === 'additional_attributes' && item.paths.includes('intercom_parts_exported'),
      ),
    );
    // Tickets likewise, in the tickets' part of the report (a ticket's first message is its opening
    // note, without files, in this workspace: none is listed, and none may be).
    const ticketForms = calls
      .filter(
        (call) => call.route === `POST ${A}/conversations` && (messageOf(call)?.attachments?.length ?? 0) > 0,
      )
      .map((call) => (call.params.custom_attributes as { intercom_ticket_id?: string }).intercom_ticket_id)
      .filter((id): id is string => id !== undefined);
    assert.deepEqual(
      [...new Set((report?.tickets?.valuesAsText ?? []).map((item) => item.ticketId))].sort(),
      ticketForms.sort(),
    );
  });
});
