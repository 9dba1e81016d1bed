/**
 * The archive inbox's index (src/activities/import/archiveIndex.ts) and the verification's reads in
 * the fewest requests: the inbox paged 25 at a time, every message of a conversation in one request,
 * contacts paged only where that is cheaper than a filter each.
 */
import assert from 'node:assert/strict';
import {
  archivedConversation,
  buildArchiveIndex,
  pageArchiveIndex,
} from '../src/activities/import/archiveIndex.js';
import { contactDirectory, listedDirectory } from '../src/activities/verification/contactDirectory.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import type { Conversation } from '../src/clients/chatwoot/schemas.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';

const ADMIN = 'sandbox-admin-token';
const A1 = '/api/v1/accounts/1';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON
type Json = any;

describe('archive index', () => {
  describe('buildArchiveIndex', () => {
    const listed = (id: number, custom: Record<string, unknown>, extra: Partial<Conversation> = {}) =>
      ({ id, custom_attributes: custom, ...extra }) as Conversation;

    it('maps Intercom conversation and ticket ids to their Chatwoot conversations, oldest first', () => {
      const index = buildArchiveIndex(
        [
          listed(9, { intercom_conversation_id: 'c1', other: 'x' }, { labels: ['a'], status: 'resolved' }),
          listed(3, { intercom_conversation_id: 'c1' }),
          listed(4, { intercom_ticket_id: 't1', intercom_created_at: '2024-01-01T00:00:00Z' }),
          listed(5, {}),
          listed(6, { intercom_conversation_id: 42 }),
        ],
        { inboxId: 7, startedAt: 1, expectedCount: 5, pages: 1 },
      );
      assert.deepEqual(
        index.conversations.get('c1')?.map((c) => c.id),
        [3, 9],
      );
      assert.deepEqual(index.tickets.get('t1')?.[0]?.custom_attributes, {
        intercom_ticket_id: 't1',
        intercom_created_at: '2024-01-01T00:00:00Z',
      });
      assert.equal(index.conversations.get('42')?.[0]?.id, 6, 'a numeric attribute is found by its text');
      const nine = index.conversations.get('c1')?.[1];
      assert.deepEqual(nine?.custom_attributes, { intercom_conversation_id: 'c1' }, 'only intercom_* kept');
      assert.deepEqual([nine?.labels, nine?.status], [['a'], 'resolved']);
      assert.equal(index.complete, true);
      // pageArchiveIndex cuts each page as it comes: the index must be the same from the cut ones.
      const whole = [
        listed(9, { intercom_conversation_id: 'c1', other: 'x' }, { labels: ['a'], status: 'resolved' }),
        listed(3, { intercom_conversation_id: 'c1' }, {
          meta: { assignee: { id: 4, name: 'Ann' } },
        } as never),
        listed(4, { intercom_ticket_id: 't1' }, { additional_attributes: { browser: 'x', intercom_x: 1 } }),
        listed(5, {}),
      ];
      const options = { inboxId: 7, startedAt: 1, expectedCount: 4, pages: 1 };
      assert.deepEqual(
        buildArchiveIndex(whole.map(archivedConversation), options),
        buildArchiveIndex(whole, options),
      );
    });

    it('is complete only when the pages held at least the first page’s all_count, each conversation once', () => {
      const twice = [
        listed(1, { intercom_conversation_id: 'a' }),
        listed(1, { intercom_conversation_id: 'a' }),
      ];
      const short = buildArchiveIndex(twice, { inboxId: 1, startedAt: 0, expectedCount: 2, pages: 1 });
      assert.equal(short.complete, false);
      assert.equal(short.conversations.get('a')?.length, 1);
      const whole = buildArchiveIndex(twice, { inboxId: 1, startedAt: 0, expectedCount: 1, pages: 1 });
      assert.equal(whole.complete, true);
      assert.equal(
        buildArchiveIndex([], { inboxId: 1, startedAt: 0, expectedCount: undefined, pages: 1 }).complete,
        false,
      );
    });
  });

  describe('against the Chatwoot sandbox', () => {
    let sandbox: ChatwootSandbox;
    let client: ChatwootClient;

    beforeEach(async () => {
      sandbox = await startChatwootSandbox({ rackAttackEnabled: false, floodLimitPerMinute: 100_000 });
      client = new ChatwootClient({ baseUrl: sandbox.url, accountId: 1, token: ADMIN });
    });
    afterEach(() => sandbox.close());

    async function call(method: string, path: string, body?: unknown): Promise<Json> {
      const response = await fetch(`${sandbox.url}${A1}${path}`, {
        method,
        headers: { api_access_token: ADMIN, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return response.json();
    }

    async function archiveWith(count: number) {
      const inbox = await call('POST', '/inboxes', { name: 'Archive', channel: { type: 'api' } });
      const other = await call('POST', '/inboxes', { name: 'Other', channel: { type: 'api' } });
      const contact = (await call('POST', '/contacts', { name: 'Ann', identifier: 'ann' })).payload.contact
        .id;
      const create = async (inboxId: number, custom: Record<string, string>) =>
        (
          await call('POST', '/conversations', {
            inbox_id: inboxId,
            contact_id: contact,
            custom_attributes: custom,
          })
        ).id as number;
      const ids: number[] = [];
      for (let index = 0; index < count; index++) {
        ids.push(await create(inbox.id, { intercom_conversation_id: `c${index}` }));
      }
      return { inboxId: inbox.id as number, otherId: other.id as number, ids, create };
    }

    const requests = () => sandbox.stats.requests;

    it('pages the archive inbox once, 25 a page, and finds duplicates and tickets', async () => {
      const { inboxId, otherId, ids, create } = await archiveWith(27);
      const duplicate = await create(inboxId, { intercom_conversation_id: 'c3' });
      const ticket = await create(inboxId, { intercom_ticket_id: 't9' });
      await create(otherId, { intercom_conversation_id: 'c4' });
      const before = requests();
      const index = await pageArchiveIndex(client, inboxId);
      assert.equal(requests() - before, 2, '29 conversations: two pages, no request for an empty third');
      assert.equal(index.pages, 2);
      assert.equal(index.complete, true);
      assert.equal(index.conversations.size, 27);
      assert.deepEqual(
        index.conversations.get('c3')?.map((c) => c.id),
        [ids[3], duplicate],
      );
      assert.deepEqual(
        index.conversations.get('c4')?.map((c) => c.id),
        [ids[4]],
        'the other inbox is not paged',
      );
      assert.equal(index.tickets.get('t9')?.[0]?.id, ticket);
    });

    it('misses none while conversations are created and written to between its pages', async () => {
      const { inboxId, ids, create } = await archiveWith(60);
      let step = 0;
      const index = await pageArchiveIndex(client, inboxId, async () => {
        // After each page: a new conversation, and a message in one the next page holds, which
        // moves it to the top of the default (latest activity) order.
        step++;
        await create(inboxId, { intercom_conversation_id: `new-${step}` });
        const later = ids[Math.min(ids.length - 1, step * 25 + 3)] as number;
        await call('POST', `/conversations/${later}/messages`, { content: 'x', message_type: 'incoming' });
      });
      for (let index_ = 0; index_ < 60; index_++) {
        assert.ok(index.conversations.has(`c${index_}`), `c${index_} listed`);
      }
      assert.equal(index.complete, true);
    });

    it('reads every message of a conversation of up to 1,000 in one request', async () => {
      const { ids } = await archiveWith(1);
      const id = ids[0] as number;
      for (let index = 0; index < 150; index++) {
        await call('POST', `/conversations/${id}/messages`, {
          content: `m${index}`,
          message_type: 'incoming',
          source_id: `p${index}`,
        });
      }
      const before = requests();
      const seen: string[] = [];
      for await (const page of client.allMessages(id)) {
        for (const message of page) if (message.source_id) seen.push(message.source_id);
      }
      assert.equal(requests() - before, 1);
      assert.deepEqual(
        seen,
        Array.from({ length: 150 }, (_, index) => `p${index}`),
      );
    });

    it('pages contacts only where that costs fewer requests than a filter per contact', async () => {
      for (let index = 0; index < 20; index++) {
        await call('POST', '/contacts', { name: `c${index}`, identifier: `intercom:${index}` });
      }
      let before = requests();
      const listed = await contactDirectory(client, 10);
      assert.equal(listed.mode, 'list');
      assert.equal(requests() - before, 2, '20 contacts: two pages of 15');
      before = requests();
      assert.equal((await listed.findOne(['x', 'intercom:7']))?.identifier, 'intercom:7');
      assert.deepEqual(await listed.findAll(['INTERCOM:7']), [], 'identifiers are exact');
      assert.equal(requests() - before, 0);
      const filtered = await contactDirectory(client, 1);
      assert.equal(filtered.mode, 'filter');
      before = requests();
      assert.equal((await filtered.findAll(['intercom:3']))[0]?.identifier, 'intercom:3');
      assert.equal(requests() - before, 1);
    });

    it('answers both identifier forms of one contact from the listed directory', async () => {
      const directory = listedDirectory([
        { id: 1, identifier: 'ext-1' },
        { id: 2, identifier: 'intercom:1' },
        { id: 3, identifier: null },
      ]);
      assert.deepEqual(
        (await directory.findAll(['ext-1', 'intercom:1'])).map((c) => c.id),
        [1, 2],
      );
      assert.equal((await directory.findOne(['intercom:1', 'ext-1']))?.id, 2);
    });
  });
});
