/**
 * The Chatwoot sandbox's lists as Chatwoot 4.10 answers them, on the routes the verification and the
 * re-run index page: GET /conversations (ConversationFinder: 25 a page, meta counted before the page,
 * SORT_OPTIONS), GET /conversations/:id/messages (MessageFinder: latest 20, after= 100 ascending,
 * before= 20, after= and before= together up to 1,000 with after <= id < before) and GET /contacts
 * (15 a page, Sift's sort on created_at).
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { ok } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';
const A1 = '/api/v1/accounts/1';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON walked by the assertions
type Json = any;

/** A request that must answer 200 (as the administrator); its JSON. */
const call = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown): Promise<Json> =>
  ok(sandbox, method, path, body, ADMIN);

describe('Chatwoot sandbox lists as 4.10 pages them', () => {
  let sandbox: ChatwootSandbox;
  let clock = Date.UTC(2026, 0, 1);

  beforeEach(async () => {
    sandbox = await startChatwootSandbox({
      rackAttackEnabled: false,
      floodLimitPerMinute: 100_000,
      // Every read of the clock a second later: creation and activity times are all distinct.
      now: () => (clock += 1000),
    });
  });
  afterEach(() => sandbox.close());

  async function archive(count: number) {
    const inbox = await call(sandbox, 'POST', `${A1}/inboxes`, { name: 'Archive', channel: { type: 'api' } });
    const other = await call(sandbox, 'POST', `${A1}/inboxes`, { name: 'Other', channel: { type: 'api' } });
    const contact = await call(sandbox, 'POST', `${A1}/contacts`, { name: 'Ann', identifier: 'ann' });
    const contactId = contact.payload.contact.id;
    const ids: number[] = [];
    for (let index = 0; index < count; index++) {
      const created = await call(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inbox.id,
        contact_id: contactId,
        status: index % 3 === 0 ? 'resolved' : 'open',
      });
      ids.push(created.id);
    }
    // Not in the archive inbox: never listed with its inbox_id, nor counted.
    await call(sandbox, 'POST', `${A1}/conversations`, { inbox_id: other.id, contact_id: contactId });
    return { inboxId: inbox.id as number, ids };
  }

  const list = (inboxId: number, query: string) =>
    call(sandbox, 'GET', `${A1}/conversations?inbox_id=${inboxId}&status=all&${query}`);

  it('pages an inbox 25 at a time with every status, meta.all_count the whole inbox on each page', async () => {
    const { inboxId, ids } = await archive(27);
    const first = await list(inboxId, 'page=1');
    const second = await list(inboxId, 'page=2');
    const third = await list(inboxId, 'page=3');
    assert.equal(first.data.payload.length, 25);
    assert.equal(second.data.payload.length, 2);
    assert.equal(third.data.payload.length, 0);
    for (const page of [first, second, third]) assert.equal(page.data.meta.all_count, 27);
    const listed = [...first.data.payload, ...second.data.payload].map((c: Json) => c.id);
    assert.deepEqual(
      [...listed].sort((a, b) => a - b),
      ids,
    );
    // status defaults to open (ConversationFinder::DEFAULT_STATUS): resolved ones are left out.
    const open = await call(sandbox, 'GET', `${A1}/conversations?inbox_id=${inboxId}`);
    assert.equal(open.data.meta.all_count, 18);
  });

  it('orders by last activity (newest first) by default and by creation with sort_by=created_at_asc', async () => {
    const { inboxId, ids } = await archive(4);
    // A message moves the first conversation's last_activity_at past the others'.
    await call(sandbox, 'POST', `${A1}/conversations/${ids[0]}/messages`, {
      content: 'hi',
      message_type: 'incoming',
    });
    const latest = (await list(inboxId, 'page=1')).data.payload.map((c: Json) => c.id);
    assert.equal(latest[0], ids[0]);
    assert.deepEqual(latest.slice(1), [ids[3], ids[2], ids[1]]);
    const created = (await list(inboxId, 'sort_by=created_at_asc')).data.payload.map((c: Json) => c.id);
    assert.deepEqual(created, ids);
    const createdDesc = (await list(inboxId, 'sort_by=created_at_desc')).data.payload.map((c: Json) => c.id);
    assert.deepEqual(createdDesc, [...ids].reverse());
    // An unknown sort_by is the default (SORT_OPTIONS[...] || last_activity_at_desc); so is the legacy "latest".
    assert.deepEqual(
      (await list(inboxId, 'sort_by=nonsense')).data.payload.map((c: Json) => c.id),
      latest,
    );
    assert.deepEqual(
      (await list(inboxId, 'sort_by=latest')).data.payload.map((c: Json) => c.id),
      latest,
    );
  });

  it('answers messages as MessageFinder does: latest 20, after= 100, after=&before= up to 1,000', async () => {
    const { ids } = await archive(1);
    const path = `${A1}/conversations/${ids[0]}/messages`;
    for (let index = 0; index < 1005; index++) {
      await call(sandbox, 'POST', path, {
        content: `m${index}`,
        message_type: index % 2 ? 'outgoing' : 'incoming',
        source_id: `part-${index}`,
      });
    }
    // Every message the conversation holds, Chatwoot's activity messages included, oldest first.
    const stored = sandbox.state.account(1).conversations.find((c) => c.displayId === ids[0]);
    const written = (stored?.messages ?? []).map((m) => m.id).sort((a, b) => a - b);
    assert.ok(written.length >= 1005);
    const ids_ = (answer: Json) => answer.payload.map((m: Json) => m.id);
    assert.deepEqual(ids_(await call(sandbox, 'GET', path)), written.slice(-20));
    assert.deepEqual(ids_(await call(sandbox, 'GET', `${path}?after=0`)), written.slice(0, 100));
    assert.deepEqual(
      ids_(await call(sandbox, 'GET', `${path}?after=${written[99]}`)),
      written.slice(100, 200),
    );
    assert.deepEqual(
      ids_(await call(sandbox, 'GET', `${path}?before=${written[50]}`)),
      written.slice(30, 50),
    );
    const between = await call(sandbox, 'GET', `${path}?after=0&before=${Number.MAX_SAFE_INTEGER}`);
    assert.deepEqual(ids_(between), written.slice(0, 1000));
    // after is inclusive here (id >= after), unlike after= alone (id > after).
    const rest = await call(
      sandbox,
      'GET',
      `${path}?after=${written[1000]}&before=${Number.MAX_SAFE_INTEGER}`,
    );
    assert.deepEqual(ids_(rest), written.slice(1000));
  });

  it('pages contacts 15 at a time, sorted by created_at with sort=created_at', async () => {
    const ids: number[] = [];
    for (let index = 0; index < 17; index++) {
      const created = await call(sandbox, 'POST', `${A1}/contacts`, {
        name: `c${index}`,
        identifier: `id-${index}`,
      });
      ids.push(created.payload.contact.id);
    }
    // No e-mail, phone number or identifier: not a resolved contact, never listed.
    await call(sandbox, 'POST', `${A1}/contacts`, { name: 'anonymous' });
    const page1 = await call(sandbox, 'GET', `${A1}/contacts?sort=created_at&page=1`);
    const page2 = await call(sandbox, 'GET', `${A1}/contacts?sort=created_at&page=2`);
    assert.equal(page1.meta.count, 17);
    assert.deepEqual(
      [...page1.payload, ...page2.payload].map((c: Json) => c.id),
      ids,
    );
    const descending = await call(sandbox, 'GET', `${A1}/contacts?sort=-created_at&page=1`);
    assert.deepEqual(
      descending.payload.map((c: Json) => c.id),
      [...ids].reverse().slice(0, 15),
    );
  });
});
