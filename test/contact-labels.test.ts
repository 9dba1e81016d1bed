/**
 * Created contacts' labels through POST /bulk_actions type Contact (src/activities/import/contactLabels.ts)
 * against the Chatwoot sandbox: one request per distinct label, no POST /contacts/:id/labels, read back
 * through GET /contacts?labels= newest first (a page a label even when older contacts carry it), a
 * lost job sent again, a stopped queue written per contact, each contact's record written once and
 * only once its labels are seen. And the request plan: every wanted label covered, no label sent to a
 * contact that does not want it, never more requests than distinct labels.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CONTACT_IDS_PER_REQUEST,
  type ContactLabelsWanted,
  contactLabelRequests,
  createContactLabelBatch,
} from '../src/activities/import/contactLabels.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';

const ADMIN = 'sandbox-admin-token';
const A1 = '/api/v1/accounts/1';
const BULK = 'POST /api/v1/accounts/:account_id/bulk_actions';
const LIST = 'GET /api/v1/accounts/:account_id/contacts';
const SET_LABELS = 'POST /api/v1/accounts/:account_id/contacts/:contact_id/labels';

describe('contact labels in bulk', () => {
  describe('contactLabelRequests', () => {
    const wantedArb = fc
      .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 250 })
      .chain((ids) =>
        fc.tuple(
          ...ids.map((id) =>
            fc.record({
              chatwootId: fc.constant(id),
              labels: fc.uniqueArray(fc.constantFrom('vip', 'VIP', 'beta', 'churned', 'trial', 'b2b'), {
                maxLength: 4,
                selector: (label) => label.toLowerCase(),
              }),
            }),
          ),
        ),
      );

    it('covers every wanted label, adds none unwanted, at most one request per distinct label', () => {
      fc.assert(
        fc.property(wantedArb, (entries: ContactLabelsWanted[]) => {
          const requests = contactLabelRequests(entries);
          const wants = new Map(
            entries.map((e) => [e.chatwootId, new Set(e.labels.map((l) => l.toLowerCase()))]),
          );
          const got = new Map<number, Set<string>>();
          for (const request of requests) {
            assert.ok(request.ids.length > 0 && request.ids.length <= CONTACT_IDS_PER_REQUEST);
            assert.ok(request.labels.length > 0);
            for (const id of request.ids) {
              for (const label of request.labels) {
                assert.ok(
                  wants.get(id)?.has(label.toLowerCase()),
                  `${label} sent to ${id}, which does not want it`,
                );
                got.set(id, (got.get(id) ?? new Set()).add(label.toLowerCase()));
              }
            }
          }
          for (const [id, labels] of wants) for (const label of labels) assert.ok(got.get(id)?.has(label));
          const distinct = new Set(entries.flatMap((e) => e.labels.map((l) => l.toLowerCase())));
          // Each label's contacts in requests of at most CONTACT_IDS_PER_REQUEST.
          const bound = [...distinct].reduce(
            (sum, label) =>
              sum +
              Math.ceil(
                entries.filter((e) => e.labels.some((l) => l.toLowerCase() === label)).length /
                  CONTACT_IDS_PER_REQUEST,
              ),
            0,
          );
          assert.ok(requests.length <= bound, `${requests.length} requests for ${distinct.size} labels`);
        }),
      );
    });

    it('sends one request per label set when the contacts share their sets', () => {
      const entries = [1, 2, 3].map((id) => ({ chatwootId: id, labels: ['a', 'b', 'c'] }));
      assert.deepEqual(contactLabelRequests(entries), [{ ids: [1, 2, 3], labels: ['a', 'b', 'c'] }]);
    });
  });

  describe('against the Chatwoot sandbox', function () {
    this.timeout(60_000);
    let sandbox: ChatwootSandbox;
    let client: ChatwootClient;
    const fastWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 150)));

    beforeEach(async () => {
      sandbox = await startChatwootSandbox({ rackAttackEnabled: false, floodLimitPerMinute: 100_000 });
      client = new ChatwootClient({ baseUrl: sandbox.url, accountId: 1, token: ADMIN });
    });
    afterEach(() => sandbox.close());

    const sent = (route: string) => sandbox.stats.byRoute[route] ?? 0;
    const create = async (identifier: string, labels: string[] = []) => {
      const response = await fetch(`${sandbox.url}${A1}/contacts`, {
        method: 'POST',
        headers: { api_access_token: ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ name: identifier, identifier }),
      });
      const id = ((await response.json()) as { payload: { contact: { id: number } } }).payload.contact.id;
      if (labels.length > 0) await client.contactExtras.setLabels(id, labels);
      return id;
    };

    async function batchOf(wanted: ContactLabelsWanted[]) {
      const batch = createContactLabelBatch(client, fastWait);
      const recorded: number[] = [];
      for (const entry of wanted) {
        batch.add(entry, async () => {
          // The record is written only once Chatwoot shows the labels.
          assert.deepEqual(
            [...(await client.contactExtras.labels(entry.chatwootId))].sort(),
            [...entry.labels].sort(),
          );
          recorded.push(entry.chatwootId);
        });
      }
      return { batch, recorded };
    }

    it('adds the labels with one request per label, reads them back a page a label', async () => {
      // Older contacts with the same label: the read-back stops at the first page older than the batch.
      for (let i = 0; i < 40; i++) await create(`old:${i}`, ['vip']);
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) ids.push(await create(`new:${i}`));
      const wanted = ids.map((id, i) => ({
        chatwootId: id,
        labels: i % 3 === 0 ? ['vip', 'beta'] : i % 3 === 1 ? ['vip'] : ['trial'],
      }));
      const before = { bulk: sent(BULK), list: sent(LIST), set: sent(SET_LABELS) };
      const { batch, recorded } = await batchOf(wanted);
      const result = await batch.flush();
      assert.deepEqual([...recorded].sort(), [...ids].sort(), 'each contact recorded once');
      assert.equal(sent(BULK) - before.bulk, 3, 'one request per distinct label');
      assert.equal(result.requests, 3);
      assert.equal(sent(SET_LABELS) - before.set, 0, 'no per-contact label write');
      assert.equal(
        sent(LIST) - before.list,
        1 + 3,
        'a probe (the newest contact’s first label), then one listing page per label, despite 40 older vip contacts',
      );
      assert.deepEqual([result.resent, result.oneByOne, result.gone], [0, 0, 0]);
      assert.equal(sandbox.state.contactBulkActionJobs.applied, 3);
    });

    it('looks early with one listing while the jobs wait, and sends nothing again', async () => {
      const ids = [await create('p1'), await create('p2'), await create('p3')];
      const labels = [['beta'], ['trial'], ['vip', 'beta']];
      const wanted = ids.map((id, i) => ({ chatwootId: id, labels: labels[i] as string[] }));
      sandbox.state.contactBulkActionJobs.delayMs = 400;
      // The first probe looks before the jobs run, the second after.
      const waits: number[] = [];
      const wait = (ms: number) => {
        waits.push(ms);
        return new Promise<void>((resolve) => setTimeout(resolve, waits.length === 1 ? 0 : 800));
      };
      const before = { bulk: sent(BULK), list: sent(LIST) };
      const batch = createContactLabelBatch(client, wait);
      const recorded: number[] = [];
      for (const entry of wanted) batch.add(entry, async () => void recorded.push(entry.chatwootId));
      const result = await batch.flush();
      assert.deepEqual([...recorded].sort(), [...ids].sort());
      assert.deepEqual([result.resent, result.oneByOne, waits.length], [0, 0, 2]);
      assert.equal(sent(BULK) - before.bulk, 3);
      // Without probes: every label's listing at each look, 3 + 3.
      assert.equal(sent(LIST) - before.list, 2 + 3, 'two probes of one listing, then a listing per label');
    });

    it('sent early, the batch is read back at once when flushed after the jobs ran', async () => {
      const ids = [await create('e1'), await create('e2')];
      const waits: number[] = [];
      const wait = (ms: number) => {
        waits.push(ms);
        return new Promise<void>((resolve) => setTimeout(resolve, ms));
      };
      const batch = createContactLabelBatch(client, wait);
      const recorded: number[] = [];
      for (const id of ids)
        batch.add({ chatwootId: id, labels: ['early'] }, async () => void recorded.push(id));
      const before = { bulk: sent(BULK), list: sent(LIST) };
      batch.sendEarly();
      batch.sendEarly();
      // The notes of the last contacts would be written meanwhile; the job (100 ms) runs.
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(sent(BULK) - before.bulk, 1, 'sent before flush, once');
      const result = await batch.flush();
      assert.deepEqual([...recorded].sort(), [...ids].sort());
      assert.equal(waits[0], 0, 'no wait left: the send was 400 ms ago');
      assert.deepEqual([result.requests, result.resent, sent(BULK) - before.bulk], [1, 0, 1]);
      assert.equal(sent(LIST) - before.list, 2, 'the probe, then the read-back');
    });

    it('sends again what a lost job did not apply, and records it only then', async () => {
      const ids = [await create('a'), await create('b')];
      sandbox.state.contactBulkActionJobs.dropNext = 1;
      const { batch, recorded } = await batchOf(ids.map((id) => ({ chatwootId: id, labels: ['vip'] })));
      const result = await batch.flush();
      assert.equal(sandbox.state.contactBulkActionJobs.dropped, 1);
      assert.equal(result.resent, 2);
      assert.equal(result.requests, 2);
      assert.deepEqual([...recorded].sort(), [...ids].sort());
      assert.equal(sent(SET_LABELS), 0);
    });

    it('writes per contact when the queue never runs the jobs, and skips a contact deleted meanwhile', async () => {
      const ids = [await create('a'), await create('b'), await create('c')];
      sandbox.state.contactBulkActionJobs.dropNext = 1_000;
      const { batch, recorded } = await batchOf(
        ids.map((id) => ({ chatwootId: id, labels: ['vip', 'beta'] })),
      );
      const response = await fetch(`${sandbox.url}${A1}/contacts/${ids[2]}`, {
        method: 'DELETE',
        headers: { api_access_token: ADMIN },
      });
      assert.equal(response.status, 200);
      const result = await batch.flush();
      assert.equal(result.oneByOne, 2);
      assert.equal(result.gone, 1);
      assert.deepEqual([...recorded].sort(), ids.slice(0, 2).sort());
      assert.equal(sent(SET_LABELS), 2, 'one write per contact left');
    });
  });
});
