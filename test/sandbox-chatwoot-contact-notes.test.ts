/**
 * The Chatwoot sandbox's contact notes and contact labels, as Chatwoot 4.10's NotesController
 * (note.rb's validations, `notes.latest`, the _note partial) and Contacts::LabelsController
 * (LabelConcern: update_labels replaces the list) answer.
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { call as api } from './helpers/chatwootApi.js';

const ADMIN = 'notes-admin-token';
const AGENT = 'notes-agent-token';
const OTHER = 'notes-other-account-token';

const call = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown, token = ADMIN) =>
  api(sandbox, method, path, { body, token });

describe('Chatwoot sandbox: contact notes and labels', () => {
  let sandbox: ChatwootSandbox;
  let clockMs = Date.UTC(2025, 0, 1);
  let contactId: number;
  const A1 = '/api/v1/accounts/1';

  beforeEach(async () => {
    sandbox = await startChatwootSandbox({
      now: () => clockMs,
      accounts: [
        {
          id: 1,
          name: 'One',
          users: [
            { id: 1, name: 'Admin', email: 'admin@one.test', role: 'administrator', accessToken: ADMIN },
            { id: 2, name: 'Agent Ann', email: 'ann@one.test', role: 'agent', accessToken: AGENT },
          ],
        },
        {
          id: 2,
          name: 'Two',
          users: [
            { id: 3, name: 'Other', email: 'other@two.test', role: 'administrator', accessToken: OTHER },
          ],
        },
      ],
    });
    const created = await call(sandbox, 'POST', `${A1}/contacts`, {
      name: 'Noted Person',
      identifier: 'n-1',
    });
    assert.equal(created.status, 200);
    contactId = created.json.payload.contact.id;
  });
  afterEach(() => sandbox.close());

  it("writes a note as the token's user, now, and lists every note newest first", async () => {
    const first = await call(sandbox, 'POST', `${A1}/contacts/${contactId}/notes`, { content: 'first' });
    assert.equal(first.status, 200);
    assert.equal(first.json.content, 'first');
    assert.equal(first.json.created_at, Math.floor(clockMs / 1000));
    assert.equal(first.json.user.id, 1);
    assert.equal(first.json.user.name, 'Admin');
    // _note.json.jbuilder's `json.account_id json.account_id` renders null, and so does contact_id.
    assert.equal(first.json.account_id, null);
    assert.equal(first.json.contact_id, null);
    clockMs += 5_000;
    // Nested under `note` works as well, and an agent may write too (no policy on notes).
    const second = await call(
      sandbox,
      'POST',
      `${A1}/contacts/${contactId}/notes`,
      { note: { content: 'second' } },
      AGENT,
    );
    assert.equal(second.status, 200);
    assert.equal(second.json.user.id, 2);
    const listed = await call(sandbox, 'GET', `${A1}/contacts/${contactId}/notes`);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.json.map((note: { content: string }) => note.content),
      ['second', 'first'],
    );
    const dumped = sandbox.dump().accounts[0]?.contacts.find((contact) => contact.id === contactId);
    assert.deepEqual(
      dumped?.notes.map((note) => note.content),
      ['first', 'second'],
    );
  });

  it("refuses a blank note with 422 and another account's contact with 404", async () => {
    for (const body of [{ content: '   ' }, {}, { content: null }]) {
      const refused = await call(sandbox, 'POST', `${A1}/contacts/${contactId}/notes`, body);
      assert.equal(refused.status, 422, JSON.stringify(body));
      assert.deepEqual(refused.json, { message: "Content can't be blank", attributes: ['content'] });
    }
    const foreign = await call(
      sandbox,
      'POST',
      `/api/v1/accounts/2/contacts/${contactId}/notes`,
      { content: 'x' },
      OTHER,
    );
    assert.equal(foreign.status, 404);
    assert.equal((await call(sandbox, 'GET', `${A1}/contacts/999999/notes`)).status, 404);
    assert.deepEqual((await call(sandbox, 'GET', `${A1}/contacts/${contactId}/notes`)).json, []);
  });

  it('updates and deletes a note of the contact only', async () => {
    const note = (await call(sandbox, 'POST', `${A1}/contacts/${contactId}/notes`, { content: 'draft' }))
      .json;
    clockMs += 60_000;
    const updated = await call(sandbox, 'PATCH', `${A1}/contacts/${contactId}/notes/${note.id}`, {
      content: 'final',
    });
    assert.equal(updated.json.content, 'final');
    assert.equal(updated.json.updated_at, Math.floor(clockMs / 1000));
    assert.equal(
      (await call(sandbox, 'PATCH', `${A1}/contacts/${contactId}/notes/${note.id}`, { content: '' })).status,
      422,
    );
    const other = (await call(sandbox, 'POST', `${A1}/contacts`, { name: 'Other' })).json.payload.contact.id;
    assert.equal((await call(sandbox, 'GET', `${A1}/contacts/${other}/notes/${note.id}`)).status, 404);
    assert.equal((await call(sandbox, 'DELETE', `${A1}/contacts/${contactId}/notes/${note.id}`)).status, 200);
    assert.deepEqual((await call(sandbox, 'GET', `${A1}/contacts/${contactId}/notes`)).json, []);
  });

  it("replaces a contact's labels as update_labels does, without requiring the labels to exist", async () => {
    assert.deepEqual((await call(sandbox, 'GET', `${A1}/contacts/${contactId}/labels`)).json, {
      payload: [],
    });
    const set = await call(sandbox, 'POST', `${A1}/contacts/${contactId}/labels`, {
      labels: ['vip', 'billing', 'VIP', ' '],
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json, { payload: ['vip', 'billing'] });
    const replaced = await call(sandbox, 'POST', `${A1}/contacts/${contactId}/labels`, {
      labels: ['billing,churn-risk'],
    });
    assert.deepEqual(replaced.json, { payload: ['billing', 'churn-risk'] });
    assert.deepEqual((await call(sandbox, 'GET', `${A1}/contacts/${contactId}/labels`)).json, {
      payload: ['billing', 'churn-risk'],
    });
    assert.deepEqual(
      sandbox.dump().accounts[0]?.contacts.find((contact) => contact.id === contactId)?.labels,
      ['billing', 'churn-risk'],
    );
    assert.deepEqual((await call(sandbox, 'POST', `${A1}/contacts/${contactId}/labels`, {})).json, {
      payload: [],
    });
  });
});
