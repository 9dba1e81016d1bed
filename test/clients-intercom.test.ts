import assert from 'node:assert/strict';
import { backoffDelayMs, parseRetryAfter, ResponseShapeError, TokenBucket } from '../src/clients/httpCore.js';
import { HttpFailure } from '../src/clients/httpFailure.js';
import { IntercomClient, nextCursor, nextPageNumber } from '../src/clients/intercom/client.js';
import {
  type Handler,
  type RecordingServer,
  sendJson,
  startRecordingServer,
} from './helpers/recordingServer.js';

type TestServer = RecordingServer<string>;

const startServer = (handler: Handler<string>): Promise<TestServer> =>
  startRecordingServer(handler, (bytes) => bytes.toString('utf8'));

function contact(id: string) {
  return { type: 'contact', id, role: 'user', email: `${id}@example.com`, created_at: 1, updated_at: 2 };
}

function conversation(id: string) {
  return {
    type: 'conversation',
    id,
    created_at: 1_700_000_000,
    updated_at: 1_700_000_100,
    state: 'open',
    source: { id: `s${id}`, body: '<p>hi</p>', author: { type: 'user', id: 'u1' }, attachments: [] },
    conversation_parts: { conversation_parts: [], total_count: 0 },
  };
}

const fastRetries = { baseDelayMs: 5, maxDelayMs: 20 };

describe('IntercomClient', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the auth and version headers and walks every cursor page of /contacts', async () => {
    const pages: Record<string, { ids: string[]; next?: string }> = {
      first: { ids: ['c1', 'c2'], next: 'cur-2' },
      'cur-2': { ids: ['c3'], next: 'cur-3' },
      'cur-3': { ids: ['c4'] },
    };
    server = await startServer((request, response) => {
      const page = pages[request.query.get('starting_after') ?? 'first'];
      sendJson(response, 200, {
        type: 'list',
        data: page.ids.map(contact),
        pages: { type: 'pages', per_page: 2, next: page.next ? { starting_after: page.next } : null },
      });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 'secret-token' });

    const seen: { ids: string[]; next?: string }[] = [];
    for await (const page of client.contactPages())
      seen.push({ ids: page.items.map((c) => c.id), next: page.next });

    assert.deepEqual(seen, [
      { ids: ['c1', 'c2'], next: 'cur-2' },
      { ids: ['c3'], next: 'cur-3' },
      { ids: ['c4'], next: undefined },
    ]);
    const first = server.received[0];
    assert.equal(first.headers.authorization, 'Bearer secret-token');
    assert.equal(first.headers.accept, 'application/json');
    assert.equal(first.headers['intercom-version'], '2.16');
    assert.equal(first.query.get('per_page'), '150');
    assert.equal(first.query.has('starting_after'), false);
    assert.deepEqual(
      server.received.map((r) => r.query.get('starting_after')),
      [null, 'cur-2', 'cur-3'],
    );
    assert.deepEqual(client.stats, { requests: 3, retries: 0, byRoute: { 'GET /contacts': 3 } });
  });

  it('resumes a cursor walk from a saved cursor', async () => {
    server = await startServer((request, response) => {
      assert.equal(request.query.get('starting_after'), 'saved');
      sendJson(response, 200, { conversations: [conversation('9')], pages: { next: null } });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });
    const ids: string[] = [];
    for await (const page of client.conversationPages('saved', 20)) ids.push(...page.items.map((c) => c.id));
    assert.deepEqual(ids, ['9']);
    assert.equal(server.received[0].query.get('per_page'), '20');
  });

  it('retries 5xx answers and then succeeds', async () => {
    let calls = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls <= 2)
        sendJson(response, calls === 1 ? 500 : 503, {
          type: 'error.list',
          errors: [{ code: 'server_error' }],
        });
      else sendJson(response, 200, conversation('123'));
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });

    const result = await client.getConversation('123');

    assert.equal(result.id, '123');
    assert.equal(result.source.id, 's123');
    assert.equal(server.received.length, 3);
    assert.equal(client.stats.retries, 2);
    assert.equal(client.stats.byRoute['GET /conversations/{id}'], 3);
  });

  it('honours Retry-After on a 429', async () => {
    let calls = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls === 1)
        sendJson(
          response,
          429,
          { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] },
          { 'retry-after': '1' },
        );
      else sendJson(response, 200, { type: 'list', data: [{ type: 'tag', id: '1', name: 'vip' }] });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });

    const tags = await client.tags();

    assert.deepEqual(
      tags.map((t) => t.name),
      ['vip'],
    );
    const gap = server.received[1].at - server.received[0].at;
    assert.ok(gap >= 950, `second attempt came ${gap} ms after the 429, expected about 1000`);
  });

  it('waits for X-RateLimit-Reset on a 429 without Retry-After', async () => {
    let calls = 0;
    let resetAtMs = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls === 1) {
        resetAtMs = (Math.floor(Date.now() / 1000) + 1) * 1000;
        sendJson(
          response,
          429,
          { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] },
          {
            'x-ratelimit-limit': '1000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(resetAtMs / 1000),
          },
        );
      } else
        sendJson(response, 200, { type: 'team.list', teams: [{ id: 7, name: 'Support', admin_ids: [1] }] });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });

    const teams = await client.teams();

    assert.equal(teams[0].id, '7');
    assert.deepEqual(teams[0].admin_ids, ['1']);
    assert.ok(server.received[1].at >= resetAtMs - 20, 'the retry came before the window reset');
  });

  it('pauses every later request until the reset when X-RateLimit-Remaining reaches 0', async () => {
    let resetAtMs = 0;
    server = await startServer((request, response) => {
      const headers: Record<string, string> = { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '50' };
      if (request.path === '/admins') {
        resetAtMs = (Math.floor(Date.now() / 1000) + 1) * 1000;
        headers['x-ratelimit-remaining'] = '0';
        headers['x-ratelimit-reset'] = String(resetAtMs / 1000);
      }
      if (request.path === '/admins') sendJson(response, 200, { type: 'admin.list', admins: [] }, headers);
      else sendJson(response, 200, { type: 'list', data: [] }, headers);
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });

    await client.admins();
    await client.tags();

    assert.ok(server.received[1].at >= resetAtMs - 20, 'the next request did not wait for the reset');
    assert.equal(client.stats.retries, 0);
  });

  it('does not pause while X-RateLimit-Remaining is comfortable', async () => {
    server = await startServer((_request, response) => {
      const reset = String(Math.floor(Date.now() / 1000) + 5);
      sendJson(
        response,
        200,
        { type: 'list', data: [] },
        { 'x-ratelimit-remaining': '500', 'x-ratelimit-reset': reset },
      );
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });
    const started = Date.now();
    await client.tags();
    await client.tags();
    assert.ok(Date.now() - started < 1000);
  });

  it('fails a 401 at once, without retrying, with a message that says what to do', async () => {
    server = await startServer((_request, response) => {
      sendJson(response, 401, {
        type: 'error.list',
        request_id: 'r1',
        errors: [{ code: 'unauthorized', message: 'Access Token Invalid' }],
      });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 'bad', ...fastRetries });

    const error = await client.me().then(
      () => assert.fail('me() should fail'),
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof HttpFailure);
    assert.equal(error.retryable, false);
    assert.equal(error.status, 401);
    assert.equal(error.service, 'intercom');
    assert.match(error.message, /Intercom rejected the access token \(401\)/);
    assert.match(error.message, /set INTERCOM_TOKEN in the worker's environment/);
    assert.match(error.message, /unauthorized: Access Token Invalid/);
    assert.doesNotMatch(error.message, /bad/);
    assert.equal(server.received.length, 1);
  });

  it('retries a dropped connection', async () => {
    let calls = 0;
    server = await startServer((_request, response, raw) => {
      calls++;
      if (calls === 1) raw.socket.destroy();
      else sendJson(response, 200, { type: 'admin.list', admins: [{ id: '5', email: 'a@x.io', name: 'A' }] });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });

    const admins = await client.admins();

    assert.equal(admins[0].id, '5');
    assert.equal(server.received.length, 2);
    assert.equal(client.stats.retries, 1);
  });

  it('gives up after maxAttempts with a retryable failure for Temporal to retry', async () => {
    server = await startServer((_request, response) => sendJson(response, 502, { error: 'bad gateway' }));
    const client = new IntercomClient({ baseUrl: server.url, token: 't', maxAttempts: 3, ...fastRetries });

    await assert.rejects(client.tags(), (error: unknown) => {
      assert.ok(error instanceof HttpFailure);
      assert.equal(error.retryable, true);
      assert.equal(error.status, 502);
      return true;
    });
    assert.equal(server.received.length, 3);
  });

  it('leaves a wait longer than maxServerWaitMs to Temporal, carrying retryAfterMs', async () => {
    server = await startServer((_request, response) =>
      sendJson(
        response,
        429,
        { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] },
        { 'retry-after': '120' },
      ),
    );
    const client = new IntercomClient({
      baseUrl: server.url,
      token: 't',
      maxServerWaitMs: 10_000,
      ...fastRetries,
    });

    await assert.rejects(client.tags(), (error: unknown) => {
      assert.ok(error instanceof HttpFailure);
      assert.equal(error.retryable, true);
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 120_000);
      return true;
    });
    assert.equal(server.received.length, 1);
  });

  it('reports a response that does not match its schema, naming the endpoint and the field', async () => {
    server = await startServer((_request, response) => {
      const broken = { ...conversation('9'), created_at: 'yesterday' };
      sendJson(response, 200, broken);
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });

    const error = await client.getConversation('9').then(
      () => assert.fail('should fail'),
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof ResponseShapeError);
    assert.ok(error instanceof HttpFailure);
    assert.equal(error.retryable, false);
    assert.equal(error.status, undefined);
    assert.match(error.message, /GET \/conversations\/9/);
    assert.match(error.message, /created_at/);
    assert.deepEqual(error.issues[0].path, ['created_at']);
    assert.equal(server.received.length, 1);
  });

  it('reports a malformed part deep inside a conversation by its path', async () => {
    server = await startServer((_request, response) => {
      const broken = conversation('9');
      // The description requires no field of a part, but types those it has: a time in words breaks it.
      broken.conversation_parts.conversation_parts = [{ id: 'p1', created_at: 'yesterday' } as never];
      sendJson(response, 200, broken);
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });
    await assert.rejects(
      client.getConversation('9'),
      /conversation_parts\.conversation_parts\.0\.created_at/,
    );
  });

  it('spaces requests with the token bucket shared by all calls of the instance', async () => {
    server = await startServer((_request, response) => sendJson(response, 200, { type: 'list', data: [] }));
    const client = new IntercomClient({ baseUrl: server.url, token: 't', requestsPerSecond: 20 });

    await Promise.all([client.tags(), client.tags(), client.tags(), client.tags(), client.tags()]);

    const arrivals = server.received.map((r) => r.at).sort((a, b) => a - b);
    const span = arrivals[arrivals.length - 1] - arrivals[0];
    assert.ok(span >= 190, `5 requests at 20/s spanned ${span} ms, expected at least 200`);
    for (let i = 1; i < arrivals.length; i++) {
      assert.ok(
        arrivals[i] - arrivals[i - 1] >= 35,
        `requests ${i - 1} and ${i} were ${arrivals[i] - arrivals[i - 1]} ms apart`,
      );
    }
  });

  it('searches conversations updated since a time, following the cursor in the body', async () => {
    server = await startServer((request, response) => {
      const body = JSON.parse(request.body) as { pagination: { starting_after?: string } };
      const second = body.pagination.starting_after === 'next-1';
      sendJson(response, 200, {
        type: 'conversation.list',
        conversations: [conversation(second ? '2' : '1')],
        pages: { type: 'pages', next: second ? null : { starting_after: 'next-1' } },
      });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });

    const ids: string[] = [];
    for await (const page of client.searchConversationsUpdatedSince(1_700_000_000)) {
      ids.push(...page.items.map((c) => c.id));
    }

    assert.deepEqual(ids, ['1', '2']);
    assert.equal(server.received[0].method, 'POST');
    assert.equal(server.received[0].path, '/conversations/search');
    assert.deepEqual(JSON.parse(server.received[0].body), {
      query: { field: 'updated_at', operator: '>', value: 1_700_000_000 },
      pagination: { per_page: 150 },
    });
    assert.deepEqual(JSON.parse(server.received[1].body).pagination, {
      per_page: 150,
      starting_after: 'next-1',
    });
  });

  it('restarts the company scroll from the beginning when the scroll breaks, and says so', async () => {
    let brokeOnce = false;
    server = await startServer((request, response) => {
      const param = request.query.get('scroll_param');
      const company = (id: string) => ({ type: 'company', id, name: id });
      if (param === null) sendJson(response, 200, { type: 'list', data: [company('a')], scroll_param: 'p1' });
      else if (param === 'p1' && !brokeOnce) {
        brokeOnce = true;
        sendJson(response, 500, {
          type: 'error.list',
          errors: [
            {
              code: 'server_error',
              message:
                'Request failed due to an internal network error. Please restart the scroll operation.',
            },
          ],
        });
      } else if (param === 'p1')
        sendJson(response, 200, { type: 'list', data: [company('b')], scroll_param: 'p2' });
      else sendJson(response, 200, { type: 'list', data: [], scroll_param: null });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });

    const pages: { ids: string[]; restarted: boolean }[] = [];
    for await (const page of client.companyScroll())
      pages.push({ ids: page.items.map((c) => c.id), restarted: page.restarted });

    assert.deepEqual(pages, [
      { ids: ['a'], restarted: false },
      { ids: ['a'], restarted: true },
      { ids: ['b'], restarted: false },
    ]);
    // The broken scroll_param was not resent: the next request started over.
    assert.deepEqual(
      server.received.map((r) => r.query.get('scroll_param')),
      [null, 'p1', null, 'p1', 'p2'],
    );
  });

  it('lists conversation attributes from /conversations/attributes in the DataAttribute shape', async () => {
    server = await startServer((request, response) => {
      assert.equal(request.path, '/conversations/attributes');
      sendJson(response, 200, {
        type: 'list',
        data: [
          {
            type: 'conversation_attribute',
            id: 2,
            name: 'Plan',
            data_type: 'list',
            archived: false,
            options: [
              { id: 'x', label: 'Gold', archived: false },
              { id: 'y', label: 'Free' },
            ],
          },
        ],
      });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });

    const [attribute] = await client.dataAttributes('conversation');

    assert.equal(attribute.id, '2');
    assert.equal(attribute.model, 'conversation');
    assert.equal(attribute.name, 'Plan');
    assert.equal(attribute.data_type, 'list');
    assert.deepEqual(attribute.options, ['Gold', 'Free']);
  });

  it('asks /data_attributes for contact attributes by model', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, {
        type: 'list',
        data: [{ name: 'plan', data_type: 'string', model: 'contact', custom: true }],
      }),
    );
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });
    const attributes = await client.dataAttributes('contact');
    assert.equal(attributes[0].name, 'plan');
    assert.equal(server.received[0].path, '/data_attributes');
    assert.equal(server.received[0].query.get('model'), 'contact');
  });

  it('walks page-numbered lists: articles and deleted conversation ids', async () => {
    server = await startServer((request, response) => {
      const page = Number(request.query.get('page'));
      if (request.path === '/articles') {
        sendJson(response, 200, {
          type: 'list',
          pages: { type: 'pages', page, per_page: 1, total_pages: 2 },
          data: [{ id: String(page), title: `Article ${page}`, body: '<p>x</p>' }],
        });
      } else {
        sendJson(response, 200, {
          type: 'conversations.list',
          conversations: [{ type: 'conversation', id: `d${page}`, deleted_at: 1_700_000_000 + page }],
          pages: {
            type: 'pages',
            page,
            per_page: 1,
            next:
              page < 3
                ? `https://api.intercom.io/conversations/deleted?per_page=1&order=asc&page=${page + 1}`
                : null,
          },
        });
      }
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });

    const articles: string[] = [];
    for await (const page of client.articlePages()) articles.push(...page.items.map((a) => a.title));
    const deleted: string[] = [];
    for await (const page of client.deletedConversationIds()) deleted.push(...page.items.map((d) => d.id));

    assert.deepEqual(articles, ['Article 1', 'Article 2']);
    assert.deepEqual(deleted, ['d1', 'd2', 'd3']);
    const deletedRequests = server.received.filter((r) => r.path === '/conversations/deleted');
    assert.equal(deletedRequests[0].query.get('order'), 'asc');
    assert.equal(deletedRequests[0].query.get('per_page'), '60');
  });

  it('stops a page-numbered list whose server ignores the page parameter, with a clear error', async () => {
    // Three servers that ignore `page`: one says which page it served (always 1), one says nothing
    // but counts total_pages, one links to a next page that does not advance. Each would loop.
    const cases: { name: string; pages: (asked: number) => Record<string, unknown>; error: RegExp }[] = [
      {
        name: 'served page 1 again',
        pages: () => ({ type: 'pages', page: 1, per_page: 1, total_pages: 50 }),
        error: /served page 1 when asked for page 2 of GET \/articles/,
      },
      {
        name: 'same items, no page number',
        pages: () => ({ type: 'pages', per_page: 1, total_pages: 50 }),
        error: /served page 2 with the same items as page 1 of GET \/articles/,
      },
      {
        name: 'next link to the same page',
        pages: (asked) => ({ type: 'pages', page: asked, next: 'https://api.intercom.io/articles?page=1' }),
        error: /gave page 1 as the page after page 1 of GET \/articles/,
      },
      {
        name: 'a cursor instead of page numbers',
        pages: () => ({ type: 'pages', next: { per_page: 1, starting_after: 'abc' } }),
        error: /answered page 1 with a starting_after cursor and no page count of GET \/articles/,
      },
    ];
    for (const { name, pages, error } of cases) {
      let served = 0;
      server = await startServer((request, response) => {
        served++;
        sendJson(response, 200, {
          type: 'list',
          pages: pages(Number(request.query.get('page'))),
          data: [{ id: '1', title: 'Always the first', body: '<p>x</p>' }],
        });
      });
      const client = new IntercomClient({ baseUrl: server.url, token: 't', ...fastRetries });
      const titles: string[] = [];
      await assert.rejects(
        async () => {
          for await (const page of client.articlePages())
            titles.push(...page.items.map((a) => a.title ?? ''));
        },
        (thrown: unknown) => {
          assert.ok(thrown instanceof HttpFailure, name);
          assert.equal(thrown.retryable, false, name);
          assert.match(thrown.message, error, name);
          assert.match(thrown.message, /documents none for this list/, name);
          return true;
        },
      );
      assert.ok(served <= 2, `${name}: stopped after ${served} requests`);
      assert.ok(titles.length <= 1, name);
      await server.close();
      server = undefined;
    }
  });

  it('tags a conversation on behalf of an admin and creates tags', async () => {
    server = await startServer((request, response) => {
      if (request.path === '/tags') sendJson(response, 200, { type: 'tag', id: '105', name: 'migrated' });
      else sendJson(response, 200, { type: 'tag', id: '105', name: 'migrated', applied_at: 1 });
    });
    const client = new IntercomClient({ baseUrl: server.url, token: 't' });

    const tag = await client.createTag('migrated');
    await client.tagConversation('77', tag.id, '991');

    assert.deepEqual(JSON.parse(server.received[0].body), { name: 'migrated' });
    assert.equal(server.received[1].path, '/conversations/77/tags');
    assert.deepEqual(JSON.parse(server.received[1].body), { id: '105', admin_id: '991' });
  });
});

describe('retry helpers', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('backs off exponentially with bounded jitter', () => {
    const settings = { baseDelayMs: 1000, maxDelayMs: 10_000 };
    assert.equal(
      backoffDelayMs(1, settings, () => 0),
      1000,
    );
    assert.equal(
      backoffDelayMs(2, settings, () => 0),
      2000,
    );
    assert.equal(
      backoffDelayMs(3, settings, () => 0.999),
      5998,
    );
    assert.equal(
      backoffDelayMs(6, settings, () => 0.5),
      10_000,
    );
  });

  it('lets a burst through and then spaces requests evenly', () => {
    const bucket = new TokenBucket(10, 3);
    const waits = [0, 0, 0, 0, 0].map(() => bucket.reserve(1000));
    assert.deepEqual(waits, [0, 0, 0, 100, 200]);
    assert.equal(bucket.reserve(1500), 0);
  });

  it('reads the next cursor or page from Intercom page objects', () => {
    assert.equal(nextCursor({ next: { starting_after: 'abc' } }), 'abc');
    assert.equal(nextCursor({ next: 'https://api.intercom.io/contacts?starting_after=xyz' }), 'xyz');
    assert.equal(nextCursor({ next: null }), undefined);
    assert.equal(nextPageNumber({ page: 1, total_pages: 2 }, 1), 2);
    assert.equal(nextPageNumber({ page: 2, total_pages: 2 }, 2), undefined);
    assert.equal(nextPageNumber({ page: 1, next: 'https://x/y?page=2' }, 1), 2);
    // Returned even when it does not advance: the list refuses it rather than stopping quietly.
    assert.equal(nextPageNumber({ page: 2, next: 'https://x/y?page=2' }, 2), 2);
    assert.equal(nextPageNumber({}, 1), undefined);
  });
});
