/**
 * The two questions an import asks once per run instead of a look-up per contact or per ticket
 * (src/activities/import/runStartProbes.ts), against the Chatwoot sandbox: what each answers on an
 * empty account and on one an earlier import wrote to, that a page too full to tell counts as yes, and
 * that the run's first answer is the one every later worker of the run uses.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityDeps } from '../src/activities/deps.js';
import {
  legacyIdentifiersPossible,
  ticketConversationsPossible,
} from '../src/activities/import/runStartProbes.js';
import { type MigrationInput, parseMigrationInput } from '../src/config.js';
import type { ChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { A1, ADMIN_TOKEN as ADMIN, ok, sandboxesPerTest } from './helpers/chatwootApi.js';

describe('the questions a run asks before its first creates', () => {
  const startSandbox = sandboxesPerTest(() => ({ rackAttackEnabled: false, floodLimitPerMinute: 100_000 }));
  let sandbox: ChatwootSandbox;
  let dir: string;

  beforeEach(async () => {
    sandbox = await startSandbox();
    dir = await mkdtemp(join(tmpdir(), 'run-start-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const call = (method: string, path: string, body?: unknown) => ok(sandbox, method, `${A1}${path}`, body);
  const defineTicketAttribute = () =>
    call('POST', '/custom_attribute_definitions', {
      attribute_display_name: 'Intercom ticket id',
      attribute_display_type: 0,
      attribute_key: 'intercom_ticket_id',
      attribute_model: 0,
    });

  /** A worker of its own (its own caches), for one migration run, against `on` (this test's sandbox). */
  function worker(run: string | undefined, on: ChatwootSandbox = sandbox) {
    const deps = new ActivityDeps({ intercomToken: 'unused', chatwootToken: ADMIN, chatwootAgentTokens: {} });
    const parsed = parseMigrationInput({
      account: 1,
      intercom: { baseUrl: 'http://127.0.0.1:9' },
      chatwoot: { baseUrl: on.url },
      blobStoreUrl: `file://${dir}`,
      run,
    });
    assert.ok(parsed.ok);
    const input: MigrationInput = parsed.input;
    return {
      legacy: () => legacyIdentifiersPossible(deps, input, deps.chatwoot(input)),
      tickets: () => ticketConversationsPossible(deps, input, deps.chatwoot(input)),
    };
  }

  const sent = (route: string) => sandbox.stats.byRoute[route] ?? 0;
  const SEARCH = 'GET /api/v1/accounts/:account_id/contacts/search';
  const FILTER = 'POST /api/v1/accounts/:account_id/conversations/filter';

  it('answers no on an account no import wrote to, once a run, in one request each', async () => {
    await defineTicketAttribute();
    await call('POST', '/contacts', { name: 'Ann', identifier: 'user-17', email: 'ann@example.com' });
    const first = worker('run-1');
    assert.deepEqual(await Promise.all([first.legacy(), first.legacy(), first.tickets()]), [
      false,
      false,
      false,
    ]);
    assert.equal(await first.legacy(), false);
    assert.deepEqual([sent(SEARCH), sent(FILTER)], [1, 1]);
  });

  it('answers yes where an earlier import left intercom:<id> identifiers or ticket conversations', async () => {
    await defineTicketAttribute();
    const inbox = await call('POST', '/inboxes', { name: 'Archive', channel: { type: 'api' } });
    const contact = (await call('POST', '/contacts', { name: 'Bo', identifier: 'intercom:5f1a' })).payload
      .contact;
    await call('POST', '/conversations', {
      inbox_id: inbox.id,
      contact_id: contact.id,
      custom_attributes: { intercom_ticket_id: '88' },
    });
    const run = worker('run-2');
    assert.deepEqual([await run.legacy(), await run.tickets()], [true, true]);
  });

  it('counts a page it cannot see to the end of as a yes: a name may hold "intercom:" too', async () => {
    for (let i = 0; i < 16; i++)
      await call('POST', '/contacts', { name: `intercom: lead ${i}`, identifier: `u-${i}` });
    assert.equal(await worker('run-3').legacy(), true);
    // Fewer than a page of such names: nothing left to guess.
    const fewer = await startSandbox();
    for (let i = 0; i < 3; i++) {
      await ok(fewer, 'POST', `${A1}/contacts`, { name: `intercom: lead ${i}`, identifier: `u-${i}` });
    }
    assert.equal(await worker(undefined, fewer).legacy(), false);
  });

  it("keeps the run's first answer for every later worker of the run, not for the next run", async () => {
    assert.equal(await worker('run-4').legacy(), false);
    // The run's own contacts without an external id are `intercom:<id>`: they must not flip the answer.
    await call('POST', '/contacts', { name: 'Cy', identifier: 'intercom:77' });
    const searches = sent(SEARCH);
    assert.equal(await worker('run-4').legacy(), false, 'a restarted worker reads the recorded answer');
    assert.equal(sent(SEARCH), searches, 'without asking Chatwoot again');
    assert.equal(await worker('run-5').legacy(), true, 'the next run asks for itself');
  });
});
