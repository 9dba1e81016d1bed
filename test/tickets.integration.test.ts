/**
 * Tickets through a whole migration on the real local Temporal server: every ticket of the three
 * categories becomes one conversation in the archive inbox, with its parts and attachments, private
 * where the ticket is internal, labelled and attributed, linked both ways to its conversations; the
 * verification and the independent reconciliation count them alike; importing again writes nothing.
 */
import assert from 'node:assert/strict';
import { type MigrationInputRaw, parseMigrationInput } from '../src/config.js';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import { blobLayout } from '../src/storage/layout.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

describe('tickets in a migration', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let scenario: Scenario;
  let input: MigrationInputRaw;
  let result: MigrationResult;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 31,
        conversations: 24,
        partsPerConversation: 3,
        tickets: 7,
        chatwootMessagesPerMinute: 3000,
      },
    });
    scenario = rig.scenario;
    input = rig.input({ import: { ...scenario.input('').import, windowSize: 4 } });
    result = (await (await rig.start(input)).result()) as MigrationResult;
  });

  after(() => rig?.close());

  const ticketConversations = () =>
    scenario.chatwoot
      .dump()
      .accounts[0].conversations.filter((c) => typeof c.custom_attributes.intercom_ticket_id === 'string');

  it('imports every ticket once, and both counters agree', () => {
    const tickets = scenario.intercom.dataset.tickets ?? [];
    assert.equal(tickets.length, 7);
    const categories = new Set(tickets.map((t) => t.category));
    assert.deepEqual([...categories].sort(), ['Back-office', 'Customer', 'Tracker']);
    const summary = scenario.reconcile();
    assert.deepEqual(
      summary.problems.filter((p) => /ticket/i.test(p)),
      [],
    );
    assert.deepEqual(summary.tickets, { expected: 7, found: 7 });
    assert.deepEqual(result.reconciliation.tickets, { expected: 7, found: 7 });
    assert.match(result.reconciled, /tickets 7\/7/);
    assert.equal(ticketConversations().length, 7);
  });

  it('keeps internal tickets private, customer tickets public, with attributes, labels and status', () => {
    const tickets = new Map((scenario.intercom.dataset.tickets ?? []).map((t) => [t.id, t]));
    const dump = scenario.chatwoot.dump().accounts[0];
    const inbox = dump.inboxes.find((i) => i.channel_type === 'Channel::Api');
    for (const conversation of ticketConversations()) {
      const ticket = tickets.get(conversation.custom_attributes.intercom_ticket_id as string);
      assert.ok(ticket);
      assert.equal(conversation.inbox_id, inbox?.id);
      assert.equal(conversation.custom_attributes.intercom_ticket_category, ticket.category);
      assert.equal(conversation.custom_attributes.intercom_ticket_type, ticket.ticket_type?.name);
      assert.ok(conversation.labels.includes('from_intercom'));
      assert.ok(
        conversation.labels.some((l) => l.startsWith('ticket-')),
        conversation.labels.join(),
      );
      const imported = conversation.messages.filter((m) => m.source_id);
      const opening = imported.find((m) => m.source_id === `source:ticket-${ticket.id}`);
      assert.ok(opening?.private, 'the opening note is private');
      const publicOnes = imported.filter((m) => !m.private && m.message_type !== 'activity');
      if (ticket.category === 'Customer') assert.ok(publicOnes.length > 0);
      else assert.deepEqual(publicOnes, []);
      const expected = ticket.ticket_state?.category === 'resolved' ? 'resolved' : 'open';
      assert.equal(conversation.status, expected);
    }
    // The rehosted attachments of ticket parts are on their messages.
    const withFiles = ticketConversations()
      .flatMap((c) => c.messages)
      .filter((m) => m.attachments.length > 0);
    assert.ok(withFiles.length > 0);
    // Every attribute key used has a definition (Chatwoot's filter needs one).
    const keys = new Set(dump.custom_attribute_definitions.map((d) => d.attribute_key));
    for (const conversation of ticketConversations()) {
      for (const key of Object.keys(conversation.custom_attributes)) assert.ok(keys.has(key), key);
    }
  });

  it('links a ticket and its conversations both ways', () => {
    const dump = scenario.chatwoot.dump().accounts[0];
    const linkedTicket = (scenario.intercom.dataset.tickets ?? []).find((t) =>
      (t.linked_objects?.data ?? []).some((o) => o.type === 'conversation'),
    );
    assert.ok(linkedTicket);
    const link = linkedTicket.linked_objects?.data?.find((o) => o.type === 'conversation');
    const conversation = dump.conversations.find(
      (c) => c.custom_attributes.intercom_conversation_id === link?.id,
    );
    const ticketConversation = ticketConversations().find(
      (c) => c.custom_attributes.intercom_ticket_id === linkedTicket.id,
    );
    assert.ok(conversation && ticketConversation);
    const note = conversation.messages.find((m) => m.source_id === `ticket-link:${linkedTicket.id}`);
    assert.ok(note?.private);
    assert.match(note.content ?? '', new RegExp(`#${ticketConversation.display_id}\\b`));
    assert.match(
      String(ticketConversation.custom_attributes.intercom_linked_conversation_ids),
      new RegExp(String(link?.id)),
    );
  });

  it('is checked by the independent reconciliation, which notices what goes wrong', () => {
    const dataset = scenario.intercom.dataset;
    const options = { account: 1, activityParts: 'activity' as const, timestampLine: true, partsCap: 500 };
    const problemsWith = (change: (dump: ReturnType<typeof scenario.chatwoot.dump>) => void) => {
      const dump = structuredClone(scenario.chatwoot.dump());
      change(dump);
      return reconcileSandboxes(dataset, dump, options);
    };
    const internal = (dataset.tickets ?? []).find((t) => t.category === 'Back-office');
    assert.ok(internal);
    const ofTicket = (dump: ReturnType<typeof scenario.chatwoot.dump>, id: string) =>
      dump.accounts[0].conversations.find((c) => c.custom_attributes.intercom_ticket_id === id);
    const leaked = problemsWith((dump) => {
      const message = ofTicket(dump, internal.id)?.messages.find((m) => m.source_id && m.private);
      if (message) message.private = false;
    });
    assert.ok(leaked.problems.some((p) => p.includes(`ticket ${internal.id}`) && p.includes('public')));
    const dropped = problemsWith((dump) => {
      const conversation = ofTicket(dump, internal.id);
      if (conversation) conversation.custom_attributes.intercom_ticket_id = 'elsewhere';
    });
    assert.equal(dropped.tickets?.found, 6);
    assert.ok(dropped.missing > 0);
    const linked = (dataset.tickets ?? []).find((t) => (t.linked_objects?.data ?? []).length > 0);
    assert.ok(linked);
    const unlinked = problemsWith((dump) => {
      for (const c of dump.accounts[0].conversations) {
        c.messages = c.messages.filter((m) => m.source_id !== `ticket-link:${linked.id}`);
      }
    });
    assert.ok(unlinked.problems.some((p) => p.includes(`linking it to ticket ${linked.id}`)));
  });

  it('writes nothing when the tickets are imported again', async () => {
    const count = () =>
      scenario.chatwoot.dump().accounts[0].conversations.reduce((n, c) => n + c.messages.length, 0);
    const messagesBefore = count();
    const conversationsBefore = scenario.chatwoot.dump().accounts[0].conversations.length;
    const outcome = parseMigrationInput(input);
    assert.ok(outcome.ok);
    const parsed = outcome.input;
    const totals = (await rig.client.workflow.execute('ticketImport', {
      taskQueue: 'migration',
      workflowId: `tickets-again-${Date.now()}`,
      args: [{ input: parsed, manifestKey: blobLayout.entityManifest(parsed.account, 'tickets') }],
    })) as { completed: number; failed: number; messages: number; messagesPosted?: number };
    assert.deepEqual(
      { completed: totals.completed, failed: totals.failed, messagesPosted: totals.messagesPosted },
      { completed: 7, failed: 0, messagesPosted: 0 },
    );
    // The count is what exists in Chatwoot, not what this run wrote.
    assert.ok(totals.messages > 0);
    assert.equal(count(), messagesBefore);
    assert.equal(scenario.chatwoot.dump().accounts[0].conversations.length, conversationsBefore);
  });
});
