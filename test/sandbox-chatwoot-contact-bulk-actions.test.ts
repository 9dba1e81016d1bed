/**
 * The Chatwoot sandbox's POST /bulk_actions `type: 'Contact'` as Chatwoot 4.10 has it
 * (bulk_actions_controller.rb, Contacts::BulkActionJob, Contacts::BulkActionService,
 * BulkAssignLabelsService, BulkRemoveLabelsService, BulkDeleteService), and GET /contacts?labels=
 * (ContactsController#resolved_contacts' tagged_with): 200 with no body whatever the payload, the
 * labels added later after the ones a contact has, another account's and unknown ids skipped, blanks
 * dropped, add before remove, a delete authorized for administrators only, a lost job changing nothing.
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { DEFAULT_CHATWOOT_ACCOUNTS } from '../src/sandbox/chatwoot/seed.js';
import { call as callSandbox, type Json, ok as okSandbox } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';
const ALICE = 'sandbox-alice-token';
const OTHER = 'other-account-admin';
const A1 = '/api/v1/accounts/1';

/** The sandbox's answer to one request, as the administrator unless `token` says otherwise. */
const call = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown, token = ADMIN) =>
  callSandbox(sandbox, method, path, { body, token });
const ok = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown, token = ADMIN) =>
  okSandbox(sandbox, method, path, body, token);

describe('Chatwoot sandbox: POST /bulk_actions type Contact (Contacts::BulkActionJob)', function () {
  this.timeout(30_000);
  let sandbox: ChatwootSandbox;
  afterEach(() => sandbox?.close());
  beforeEach(async () => {
    sandbox = await startChatwootSandbox({
      accounts: [
        ...DEFAULT_CHATWOOT_ACCOUNTS,
        {
          id: 2,
          name: 'Two',
          users: [
            { id: 9, name: 'Other', email: 'other@two.test', role: 'administrator', accessToken: OTHER },
          ],
        },
      ],
    });
  });

  const contact = async (identifier: string, labels: string[] = []) => {
    const created = await ok(sandbox, 'POST', `${A1}/contacts`, { name: identifier, identifier });
    const id = Number(created.payload.contact.id);
    if (labels.length > 0) await ok(sandbox, 'POST', `${A1}/contacts/${id}/labels`, { labels });
    return id;
  };
  const labelsOf = async (id: number) => (await ok(sandbox, 'GET', `${A1}/contacts/${id}/labels`)).payload;
  const bulk = (body: unknown, token = ADMIN) => call(sandbox, 'POST', `${A1}/bulk_actions`, body, token);
  const settled = () => sandbox.state.jobsSettled();

  it('answers 200 with no body at once and adds the labels later, after the ones a contact has', async () => {
    const fresh = await contact('c:1');
    const labelled = await contact('c:2', ['agent_tag', 'vip']);
    sandbox.state.contactBulkActionJobs.delayMs = 300;
    // String#camelize: 'contact' names the model as 'Contact' does.
    const answer = await bulk({
      type: 'contact',
      ids: [fresh, String(labelled)],
      labels: { add: ['vip', 'beta'] },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.text, '');
    assert.deepEqual(await labelsOf(fresh), [], 'nothing yet: the job is still queued');
    await settled();
    assert.deepEqual(await labelsOf(fresh), ['vip', 'beta']);
    // labels + new_labels: its own first; 'vip' again changes nothing.
    assert.deepEqual(await labelsOf(labelled), ['agent_tag', 'vip', 'beta']);
    assert.equal(sandbox.state.contactBulkActionJobs.applied, 1);
    assert.equal(sandbox.state.bulkActionJobs.enqueued, 0, 'not the conversations’ job');
  });

  it('skips unknown ids and another account’s contacts, drops blank labels, validates nothing', async () => {
    const mine = await contact('c:1');
    const other = await ok(
      sandbox,
      'POST',
      '/api/v1/accounts/2/contacts',
      { name: 'o', identifier: 'o:1' },
      OTHER,
    );
    const otherId = Number(other.payload.contact.id);
    const answer = await bulk({
      type: 'Contact',
      ids: [mine, otherId, 999_999, 'not-a-number'],
      labels: { add: ['', '  ', 'kept', false] },
    });
    assert.equal(answer.status, 200);
    await settled();
    assert.deepEqual(await labelsOf(mine), ['kept']);
    const otherLabels = await ok(
      sandbox,
      'GET',
      `/api/v1/accounts/2/contacts/${otherId}/labels`,
      undefined,
      OTHER,
    );
    assert.deepEqual(otherLabels.payload, []);
    // Nothing to do at all is still 200 (a logged warning in the job).
    assert.equal((await bulk({ type: 'Contact', ids: [mine] })).status, 200);
    assert.equal((await bulk({ type: 'Contact', ids: [mine], labels: { add: [' '] } })).status, 200);
    await settled();
    assert.deepEqual(await labelsOf(mine), ['kept']);
    // Any other type is the controller's 422.
    const refused = await bulk({ type: 'Message', ids: [mine] });
    assert.equal(refused.status, 422);
    assert.deepEqual(refused.json, { success: false });
  });

  it('adds and ignores remove when both are sent; removes (case-sensitive) when only remove is', async () => {
    const id = await contact('c:1', ['old', 'Keep']);
    await bulk({ type: 'Contact', ids: [id], labels: { add: ['new'], remove: ['old'] } });
    await settled();
    assert.deepEqual(await labelsOf(id), ['old', 'Keep', 'new'], 'an add returns before the remove');
    await bulk({ type: 'Contact', ids: [id], labels: { remove: ['old', 'keep'] } });
    await settled();
    assert.deepEqual(await labelsOf(id), ['Keep', 'new'], 'label_list - labels: exact spelling only');
  });

  it('deletes for an administrator only (401 for an agent, nothing enqueued)', async () => {
    const a = await contact('c:1');
    const b = await contact('c:2');
    const refused = await bulk({ type: 'Contact', action_name: 'delete', ids: [a] }, ALICE);
    assert.equal(refused.status, 401);
    assert.equal(sandbox.state.contactBulkActionJobs.enqueued, 0);
    // An agent may add labels: only the delete is authorized.
    assert.equal((await bulk({ type: 'Contact', ids: [b], labels: { add: ['x'] } }, ALICE)).status, 200);
    assert.equal((await bulk({ type: 'Contact', action_name: 'delete', ids: [a] })).status, 200);
    await settled();
    assert.equal((await call(sandbox, 'GET', `${A1}/contacts/${a}`)).status, 404);
    assert.deepEqual(await labelsOf(b), ['x']);
  });

  it('a lost job leaves every contact as it was, and the answer was the same 200', async () => {
    const id = await contact('c:1');
    sandbox.state.contactBulkActionJobs.dropNext = 1;
    assert.equal((await bulk({ type: 'Contact', ids: [id], labels: { add: ['vip'] } })).status, 200);
    await settled();
    assert.deepEqual(await labelsOf(id), []);
    assert.equal(sandbox.state.contactBulkActionJobs.dropped, 1);
  });

  it('GET /contacts?labels= lists the contacts with any of the labels, whatever the case', async () => {
    const vip = await contact('c:1', ['VIP']);
    const both = await contact('c:2', ['vip', 'beta']);
    const beta = await contact('c:3', ['beta']);
    await contact('c:4');
    const ids = async (query: string) =>
      ((await ok(sandbox, 'GET', `${A1}/contacts?${query}`)).payload as Json[]).map((c) => c.id);
    assert.deepEqual(await ids('labels=vip'), [vip, both]);
    assert.deepEqual(await ids('labels=vip&sort=-created_at'), [both, vip]);
    assert.deepEqual(await ids('labels[]=beta&labels[]=VIP'), [vip, both, beta]);
    assert.deepEqual(await ids('labels=vip,beta'), [vip, both, beta], 'a comma list is parsed');
    assert.deepEqual(await ids('labels=,'), [], 'present but empty once parsed: none');
    assert.equal((await ids('')).length, 4, 'no param: every contact');
    const page = await ok(sandbox, 'GET', `${A1}/contacts?labels=beta`);
    assert.equal(page.meta.count, 2);
  });
});
