/**
 * The Intercom sandbox's tickets, as the API description 2.16 shapes them: the search (the only way
 * tickets are listed) with its category terms and cursor, one ticket with its parts and signed,
 * expiring attachment links, ticket types with their attributes, ticket states; and the client reads
 * all of it. Also the workspace folder keeps tickets.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntercomClient } from '../src/clients/intercom/client.js';
import {
  generateWorkspace,
  type IntercomDataset,
  type IntercomSandbox,
  loadWorkspace,
  saveWorkspace,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';

const TOKEN = 'tickets-test-token';

async function post(sandbox: IntercomSandbox, path: string, body: unknown) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'intercom-version': '2.16',
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function get(sandbox: IntercomSandbox, path: string) {
  const response = await fetch(path.startsWith('http') ? path : `${sandbox.url}${path}`, {
    headers: { authorization: `Bearer ${TOKEN}`, 'intercom-version': '2.16', accept: 'application/json' },
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

describe('Intercom sandbox: tickets', () => {
  let dataset: IntercomDataset;
  let sandbox: IntercomSandbox;
  let clock = 1_700_000_000_000;

  before(async () => {
    dataset = generateWorkspace({ seed: 5, conversations: 40, tickets: 9 });
    sandbox = await startIntercomSandbox({
      dataset,
      token: TOKEN,
      now: () => clock,
      attachmentLinkTtlMs: 60_000,
    });
  });
  after(() => sandbox?.close());

  it('generates tickets of the three categories, linked to conversations both ways', () => {
    const tickets = dataset.tickets ?? [];
    assert.equal(tickets.length, 9);
    assert.deepEqual([...new Set(tickets.map((t) => t.category))].sort(), [
      'Back-office',
      'Customer',
      'Tracker',
    ]);
    const conversationIds = new Set(dataset.conversations.map((c) => c.id));
    for (const ticket of tickets) {
      assert.ok(!conversationIds.has(ticket.id), 'a ticket id is never a conversation id');
      for (const linked of ticket.linked_objects?.data ?? []) {
        const conversation = dataset.conversations.find((c) => c.id === linked.id);
        const back = (conversation?.linked_objects as { data?: { type: string; id: string }[] } | undefined)
          ?.data;
        assert.ok(
          back?.some((o) => o.type === 'ticket' && o.id === ticket.id),
          `ticket ${ticket.id} on ${linked.id}`,
        );
      }
    }
    assert.ok(
      tickets.filter((t) => t.category === 'Tracker').every((t) => (t.contacts?.contacts ?? []).length === 0),
    );
  });

  it('searches by category with the API terms, pages with a cursor, and answers without parts', async () => {
    const byTerm = async (term: string) => {
      const answer = await post(sandbox, '/tickets/search', {
        query: { field: 'category', operator: '=', value: term },
        pagination: { per_page: 150 },
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.json.type, 'ticket.list');
      return answer.json.tickets as Record<string, unknown>[];
    };
    assert.ok((await byTerm('request')).every((t) => t.category === 'Customer'));
    assert.ok((await byTerm('task')).every((t) => t.category === 'Back-office'));
    assert.equal((await byTerm('tracker')).length, 3);
    assert.equal((await byTerm('Customer')).length, 0, 'the category name is not its search term');

    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page++) {
      const answer = await post(sandbox, '/tickets/search', {
        query: { field: 'created_at', operator: '>', value: 0 },
        pagination: { per_page: 2, ...(after ? { starting_after: after } : {}) },
      });
      const tickets = answer.json.tickets as Record<string, unknown>[];
      for (const ticket of tickets) {
        assert.equal(ticket.ticket_parts, undefined);
        assert.equal(typeof ticket.admin_assignee_id, 'number');
        seen.push(ticket.id as string);
      }
      after = (answer.json.pages as { next?: { starting_after?: string } }).next?.starting_after;
      if (!after) break;
    }
    assert.deepEqual([...seen].sort(), (dataset.tickets ?? []).map((t) => t.id).sort());
  });

  it('refuses a field the ticket search does not know, as the conversation search does', async () => {
    const answer = await post(sandbox, '/tickets/search', {
      query: { field: 'colour', operator: '=', value: 'x' },
    });
    assert.equal(answer.status, 400);
    const errors = answer.json.errors as { code: string; message: string }[];
    assert.equal(errors[0]?.code, 'parameter_invalid');
    assert.match(errors[0]?.message ?? '', /colour is not a searchable ticket field/);
  });

  it('serves one ticket with its parts and signed links that expire', async () => {
    const withFile = (dataset.tickets ?? []).find((t) =>
      (t.ticket_parts?.ticket_parts ?? []).some((p) => (p.attachments ?? []).length > 0),
    );
    assert.ok(withFile);
    const answer = await get(sandbox, `/tickets/${withFile.id}`);
    assert.equal(answer.status, 200);
    const parts = (
      answer.json as {
        ticket_parts: { ticket_parts: { attachments: { url: string }[] }[]; total_count: number };
      }
    ).ticket_parts.ticket_parts;
    const url = parts.flatMap((p) => p.attachments).map((a) => a.url)[0];
    assert.ok(url?.startsWith(sandbox.url), url);
    assert.equal((await get(sandbox, url)).status, 200);
    clock += 61_000;
    const expired = await get(sandbox, url);
    assert.equal(expired.status, 403);
    assert.match(expired.text, /AccessDenied/);
    assert.equal((await get(sandbox, '/tickets/999')).status, 404);
  });

  it('lists ticket types with their attributes and the ticket states', async () => {
    const types = await get(sandbox, '/ticket_types');
    const data = types.json?.data as {
      category: string;
      ticket_type_attributes: { data: { name: string }[] };
    }[];
    assert.deepEqual([...new Set(data.map((t) => t.category))].sort(), [
      'Back-office',
      'Customer',
      'Tracker',
    ]);
    assert.ok(data.every((t) => t.ticket_type_attributes.data.some((a) => a.name === '_default_title_')));
    const states = await get(sandbox, '/ticket_states');
    const stateData = states.json?.data as { category: string; ticket_types: { data: unknown[] } }[];
    assert.deepEqual(
      stateData.map((s) => s.category),
      ['submitted', 'in_progress', 'waiting_on_customer', 'resolved'],
    );
    assert.ok(stateData.every((s) => s.ticket_types.data.length === data.length));
  });

  it('is read whole by the client', async () => {
    const client = new IntercomClient({ baseUrl: sandbox.url, token: TOKEN });
    const ids: string[] = [];
    for await (const page of client.ticketPages(undefined, 4)) ids.push(...page.items.map((t) => t.id));
    assert.equal(ids.length, 9);
    const ticket = await client.getTicket(ids[0] as string);
    assert.ok((ticket.ticket_parts?.ticket_parts ?? []).length > 0);
    assert.equal(typeof ticket.ticket_state?.category, 'string');
    const types = await client.ticketTypes();
    assert.ok(types.every((t) => (t.ticket_type_attributes?.data ?? []).length >= 2));
    assert.equal((await client.ticketStates()).length, 4);
  });

  it('keeps tickets in a saved workspace folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'i2c-tickets-'));
    try {
      await saveWorkspace(dataset, join(dir, 'w'));
      const loaded = await loadWorkspace(join(dir, 'w'));
      assert.deepEqual(loaded.tickets, dataset.tickets);
      assert.deepEqual(loaded.ticketTypes, dataset.ticketTypes);
      assert.deepEqual(loaded.ticketStates, dataset.ticketStates);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
