/**
 * Tickets through a whole migration on the real local Temporal server: every ticket of the three
 * categories becomes one conversation in the archive inbox, with its parts and attachments, private
 * where the ticket is internal, labelled and attributed, linked both ways to its conversations; the
 * verification and the independent reconciliation count them alike; importing again writes nothing.
 * Their labels, statuses and assignees go by POST /bulk_actions with the conversations' (patch
 * import-tickets-batched), the assignees by their own tokens: no notification, no request per ticket,
 * and a ticket left before its batch (or before its final state) is finished by the next run.
 */
import assert from 'node:assert/strict';
import { ActivityDeps } from '../src/activities/deps.js';
import type { PendingFinalState } from '../src/activities/import/bulkActions.js';
import { type MigrationInputRaw, parseMigrationInput } from '../src/config.js';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import { getJson, putJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig, workerEnvironment } from './helpers/migrationHarness.js';

const A = '/api/v1/accounts/:account_id';
/** The per-conversation writes a batched final state replaces. */
const FINAL_STATE_ROUTES = [
  `POST ${A}/conversations/:id/labels`,
  `POST ${A}/conversations/:id/assignments`,
  `POST ${A}/conversations/:id/toggle_status`,
];

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
        agentTokens: true,
      },
    });
    scenario = rig.scenario;
    input = rig.input({ import: { ...scenario.input('').import, windowSize: 4 } });
    result = (await (await rig.start(input)).result()) as MigrationResult;
  });

  after(() => rig?.close());

  const parsedInput = () => {
    const outcome = parseMigrationInput(input);
    assert.ok(outcome.ok);
    return outcome.input;
  };
  const store = () => new ActivityDeps(workerEnvironment(scenario)).store(parsedInput());

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

  it('sets labels, team, status and assignee as Intercom has them, by bulk action, notifying no one', async () => {
    const dataset = scenario.intercom.dataset;
    const tickets = new Map((dataset.tickets ?? []).map((t) => [t.id, t]));
    const dump = scenario.chatwoot.dump().accounts[0];
    // Found by e-mail and name among Chatwoot's users and teams, not through the mapping.
    const userByEmail = new Map(dump.users.map((user) => [user.email.toLowerCase(), user.id]));
    const adminEmail = new Map(dataset.admins.map((admin) => [String(admin.id), admin.email?.toLowerCase()]));
    const teamName = new Map((dataset.teams ?? []).map((team) => [String(team.id), team.name.toLowerCase()]));
    let assigned = 0;
    let teamed = 0;
    for (const conversation of ticketConversations()) {
      const ticket = tickets.get(conversation.custom_attributes.intercom_ticket_id as string);
      assert.ok(ticket);
      const email = adminEmail.get(String(ticket.admin_assignee_id ?? ''));
      const agent = email ? userByEmail.get(email) : undefined;
      assert.equal(conversation.assignee_id, agent ?? null, `assignee of ticket ${ticket.id}`);
      if (agent !== undefined) assigned++;
      const team = dump.teams.find((t) => t.id === conversation.team_id);
      assert.equal(team?.name.toLowerCase(), teamName.get(String(ticket.team_assignee_id ?? '')));
      if (team) teamed++;
      assert.equal(
        await getJson(store(), blobLayout.ticketFinalState(parsedInput().account, ticket.id)),
        undefined,
        `no final state left waiting for ticket ${ticket.id}`,
      );
    }
    assert.ok(assigned > 0 && teamed > 0, `${assigned} assigned, ${teamed} with a team`);
    // Nothing set one conversation at a time: every agent has a token, and only a conversation snoozed
    // until a time keeps its own toggle (the bulk job takes no snoozed_until).
    const sent = (route: string) => scenario.chatwoot.stats.byRoute[route] ?? 0;
    const snoozedWithTime = dataset.conversations.filter(
      (c) => c.state === 'snoozed' && typeof c.snoozed_until === 'number',
    ).length;
    // Before the patch each ticket cost a POST /labels, a toggle, and an assignment per team and agent.
    const perTicketBefore = ticketConversations().length * 2 + assigned + teamed;
    console.log(
      `      per-conversation final-state writes: ${FINAL_STATE_ROUTES.map(sent).join(' / ')} ` +
        `(tickets alone sent ${perTicketBefore} before); POST /bulk_actions ${sent(`POST ${A}/bulk_actions`)}`,
    );
    assert.equal(sent(`POST ${A}/conversations/:id/labels`), 0);
    assert.equal(sent(`POST ${A}/conversations/:id/assignments`), 0);
    assert.ok(sent(`POST ${A}/conversations/:id/toggle_status`) <= snoozedWithTime);
    assert.deepEqual(dump.notifications, []);
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

  it('writes nothing when the tickets are imported again, even without their create markers', async () => {
    const count = () =>
      scenario.chatwoot.dump().accounts[0].conversations.reduce((n, c) => n + c.messages.length, 0);
    const messagesBefore = count();
    const conversationsBefore = scenario.chatwoot.dump().accounts[0].conversations.length;
    // As a version before ticket create markers left them: without markers, only the run's question
    // (any conversation with an intercom_ticket_id?) sends the import looking.
    const blobs = store();
    const markerOf = (ticketId: string) =>
      blobLayout.conversationCreateMarker(parsedInput().account, `ticket-${ticketId}`);
    let removed = 0;
    for (const ticket of scenario.intercom.dataset.tickets ?? []) {
      if (await blobs.exists(markerOf(ticket.id))) removed++;
      await blobs.delete(markerOf(ticket.id));
    }
    assert.equal(removed, 7, 'the first run marked each ticket before creating it');
    const before = { ...scenario.chatwoot.stats.byRoute };
    const totals = await importTicketsAgain();
    assert.deepEqual(
      { completed: totals.completed, failed: totals.failed, messagesPosted: totals.messagesPosted },
      { completed: 7, failed: 0, messagesPosted: 0 },
    );
    // The count is what exists in Chatwoot, not what this run wrote.
    assert.ok(totals.messages > 0);
    assert.equal(count(), messagesBefore);
    assert.equal(scenario.chatwoot.dump().accounts[0].conversations.length, conversationsBefore);
    // Not a request that writes: no labels, status, assignee or bulk action sent again.
    assert.deepEqual(writesSince(before), {});
  });

  it('finishes a ticket left before its batch, or before its final state, on the next run', async () => {
    const parsed = parsedInput();
    const blobs = store();
    const account = scenario.chatwoot.state.accounts.get(parsed.account);
    assert.ok(account);
    const targets = account.conversations
      .filter((c) => typeof c.customAttributes.intercom_ticket_id === 'string' && c.assigneeId !== null)
      .slice(0, 2);
    assert.equal(targets.length, 2, 'two assigned tickets');
    const wanted = targets.map((c) => ({
      status: c.status,
      labels: [...c.labels].sort(),
      assignee: c.assigneeId,
    }));
    // The first as an attempt leaves it for its batch (a final-state blob); the second as an attempt
    // that stopped after the create, before its final state (no blob).
    for (const [index, conversation] of targets.entries()) {
      if (index === 0) {
        const pending: PendingFinalState = {
          chatwootId: conversation.displayId,
          status: conversation.status as PendingFinalState['status'],
          labels: [...conversation.labels],
          assigneeId: conversation.assigneeId ?? undefined,
        };
        const ticketId = conversation.customAttributes.intercom_ticket_id as string;
        await putJson(blobs, blobLayout.ticketFinalState(parsed.account, ticketId), pending);
      }
      conversation.status = 'pending';
      conversation.labels = [];
      conversation.assigneeId = null;
    }
    // And Chatwoot loses the first job of the batch: it is read back, found not applied, sent again.
    const jobs = scenario.chatwoot.state.bulkActionJobs;
    const droppedBefore = jobs.dropped;
    jobs.dropNext = 1;
    const before = { ...scenario.chatwoot.stats.byRoute };
    const totals = await importTicketsAgain();
    assert.deepEqual([totals.completed, totals.failed, totals.messagesPosted], [7, 0, 0]);
    assert.equal(jobs.dropped - droppedBefore, 1, 'a job was lost');
    for (const [index, conversation] of targets.entries()) {
      assert.deepEqual(
        {
          status: conversation.status,
          labels: [...conversation.labels].sort(),
          assignee: conversation.assigneeId,
        },
        wanted[index],
      );
      const ticketId = conversation.customAttributes.intercom_ticket_id as string;
      assert.equal(await getJson(blobs, blobLayout.ticketFinalState(parsed.account, ticketId)), undefined);
    }
    // By bulk action only (self-assignments): no one notified, nothing set one conversation at a time.
    const writes = writesSince(before);
    assert.ok((writes[`POST ${A}/bulk_actions`] ?? 0) >= 2, JSON.stringify(writes));
    for (const route of FINAL_STATE_ROUTES) assert.equal(writes[route], undefined, route);
    assert.deepEqual(scenario.chatwoot.dump().accounts[0].notifications, []);
    assert.equal(scenario.reconcile().duplicates, 0);
    // And the run after that writes nothing.
    const after = { ...scenario.chatwoot.stats.byRoute };
    await importTicketsAgain();
    assert.deepEqual(writesSince(after), {});
  });

  /** The ticket import workflow alone, again (a re-run), with this build's patches. */
  const importTicketsAgain = async () => {
    const parsed = parsedInput();
    return (await rig.client.workflow.execute('ticketImport', {
      taskQueue: 'migration',
      workflowId: `tickets-again-${Date.now()}`,
      args: [{ input: parsed, manifestKey: blobLayout.entityManifest(parsed.account, 'tickets') }],
    })) as { completed: number; failed: number; messages: number; messagesPosted?: number };
  };

  /** Requests that write (the filters' POSTs are reads) sent since `before`, by route. */
  const writesSince = (before: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(scenario.chatwoot.stats.byRoute)
        .map(([route, n]) => [route, n - (before[route] ?? 0)] as const)
        .filter(
          ([route, n]) => n > 0 && /^(POST|PUT|PATCH|DELETE) /.test(route) && !route.endsWith('/filter'),
        ),
    );
});
