import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { ResponseShapeError } from '../src/clients/httpCore.js';
import { HttpFailure } from '../src/clients/httpFailure.js';
import {
  type Handler,
  type Received as Received_,
  type RecordingServer,
  sendJson as sendJsonAs,
  startRecordingServer,
} from './helpers/recordingServer.js';

type Received = Received_<Buffer>;
type TestServer = RecordingServer<Buffer>;

const startServer = (handler: Handler<Buffer>): Promise<TestServer> =>
  startRecordingServer(handler, (bytes) => bytes);

// Rails answers JSON with its charset.
const sendJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => sendJsonAs(response, status, body, headers, 'application/json; charset=utf-8');

function retryLater(response: ServerResponse): void {
  response.writeHead(429, { 'content-type': 'text/plain' });
  response.end('Retry later\n');
}

function jsonBody(request: Received): unknown {
  return JSON.parse(request.body.toString('utf8'));
}

/** Parses a received multipart body with the platform's own (undici) parser. */
async function formData(request: Received): Promise<FormData> {
  return new Response(new Uint8Array(request.body), {
    headers: { 'content-type': String(request.headers['content-type']) },
  }).formData();
}

const ACCOUNT = '/api/v1/accounts/3';
const fastRetries = { baseDelayMs: 5, maxDelayMs: 20 };

function message(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    content: `m${id}`,
    message_type: 0,
    private: false,
    source_id: `p${id}`,
    created_at: 1_700_000_000 + id,
    ...extra,
  };
}

function contact(id: number, extra: Record<string, unknown> = {}) {
  return { id, name: `Contact ${id}`, email: `c${id}@example.com`, identifier: `intercom:${id}`, ...extra };
}

describe('ChatwootClient', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function client(options: Partial<ConstructorParameters<typeof ChatwootClient>[0]> = {}): ChatwootClient {
    if (!server) throw new Error('start the server first');
    return new ChatwootClient({
      baseUrl: server.url,
      accountId: 3,
      token: 'cw-token',
      ...fastRetries,
      ...options,
    });
  }

  it('sends api_access_token and lists inboxes of the account', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, {
        payload: [{ id: 1, name: 'Intercom archive', channel_type: 'Channel::Api' }],
      }),
    );
    const inboxes = await client().listInboxes();

    assert.deepEqual(
      inboxes.map((inbox) => inbox.name),
      ['Intercom archive'],
    );
    assert.equal(server.received[0].path, `${ACCOUNT}/inboxes`);
    assert.equal(server.received[0].headers.api_access_token, 'cw-token');
    assert.equal(server.received[0].headers.authorization, undefined);
  });

  it('creates a quiet API inbox', async () => {
    server = await startServer((_request, response) => sendJson(response, 200, { id: 9, name: 'Archive' }));
    const inbox = await client().createApiInbox({ name: 'Archive' });

    assert.equal(inbox.id, 9);
    assert.deepEqual(jsonBody(server.received[0]), {
      name: 'Archive',
      channel: { type: 'api' },
      enable_auto_assignment: false,
      csat_survey_enabled: false,
      greeting_enabled: false,
    });
  });

  it('backs off from a 429 text/plain "Retry later" that has no Retry-After', async () => {
    let calls = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls <= 2) retryLater(response);
      else sendJson(response, 200, [{ id: 1, name: 'support', allow_auto_assign: false }]);
    });
    const teams = await client({ baseDelayMs: 150, maxDelayMs: 1000 }).listTeams();

    assert.equal(teams[0].name, 'support');
    const [first, second, third] = server.received.map((r) => r.at);
    assert.ok(second - first >= 145, `first back-off was ${second - first} ms, expected at least 150`);
    assert.ok(third - second >= 295, `second back-off was ${third - second} ms, expected at least 300`);
  });

  it('fails a 401 at once with a message that says what to do', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 401, { errors: ['You need to sign in or sign up before continuing.'] }),
    );
    const error = await client()
      .listAgents()
      .then(
        () => assert.fail('should fail'),
        (caught: unknown) => caught,
      );

    assert.ok(error instanceof HttpFailure);
    assert.equal(error.retryable, false);
    assert.equal(error.status, 401);
    assert.match(
      error.message,
      /Chatwoot rejected the access token \(401\).*set CHATWOOT_TOKEN in the worker's environment to an administrator's access token/,
    );
    assert.doesNotMatch(error.message, /cw-token/);
    assert.equal(server.received.length, 1);
  });

  it('treats other 422s as final and quotes what Chatwoot said', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 422, { message: 'Email has already been taken', attributes: ['email'] }),
    );
    await assert.rejects(client().createContact({ inbox_id: 1, email: 'a@b.c' }), (error: unknown) => {
      assert.ok(error instanceof HttpFailure);
      assert.equal(error.retryable, false);
      assert.equal(error.status, 422);
      assert.match(error.message, /Email has already been taken/);
      return true;
    });
    assert.equal(server.received.length, 1);
  });

  it('waits out the flood guard (422 Too many messages) and sends the message again', async () => {
    let calls = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls === 1) sendJson(response, 422, { message: 'Too many messages', attributes: ['base'] });
      else sendJson(response, 200, message(10, { message_type: 1 }));
    });
    const created = await client({ floodWaitMs: 300 }).createMessage(5, {
      content: 'hello',
      message_type: 'outgoing',
      private: false,
      source_id: 'part-1',
    });

    assert.equal(created.id, 10);
    assert.equal(created.message_type, 'outgoing');
    const gap = server.received[1].at - server.received[0].at;
    assert.ok(gap >= 295, `retried after ${gap} ms, expected the flood wait of 300`);
  });

  it('does not resend a create after a dropped connection, but leaves it to the activity', async () => {
    server = await startServer((_request, _response, raw) => raw.socket.destroy());
    await assert.rejects(
      client().createMessage(5, { content: 'x', message_type: 'incoming', private: false }),
      (error: unknown) => {
        assert.ok(error instanceof HttpFailure);
        assert.equal(error.retryable, true);
        assert.equal(error.status, undefined);
        return true;
      },
    );
    assert.equal(server.received.length, 1);
  });

  it('resends a create after a 429, which proves nothing was written', async () => {
    let calls = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls === 1) retryLater(response);
      else
        sendJson(response, 200, { payload: { contact: contact(44), contact_inbox: { source_id: 'src-1' } } });
    });
    const created = await client().createContact({ inbox_id: 1, identifier: 'intercom:44' });

    assert.equal(created.id, 44);
    assert.equal(server.received.length, 2);
  });

  it('retries a dropped connection on a read', async () => {
    let calls = 0;
    server = await startServer((_request, response, raw) => {
      calls++;
      if (calls === 1) raw.socket.destroy();
      else sendJson(response, 200, { id: 5, inbox_id: 1, status: 'open', custom_attributes: {} });
    });
    const conversation = await client().getConversation(5);
    assert.equal(conversation.id, 5);
    assert.equal(server.received.length, 2);
  });

  it('reports a payload that does not match its schema, naming the endpoint and field', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, { payload: { contact: { ...contact(1), id: 'one' } } }),
    );
    await assert.rejects(client().createContact({ inbox_id: 1, identifier: 'x' }), (error: unknown) => {
      assert.ok(error instanceof ResponseShapeError);
      assert.equal(error.retryable, false);
      assert.equal(error.status, undefined);
      assert.match(error.message, /POST \/api\/v1\/accounts\/3\/contacts/);
      assert.match(error.message, /payload\.contact\.id/);
      return true;
    });
  });

  it('filters contacts exactly and gathers every page of matches', async () => {
    server = await startServer((request, response) => {
      const page = Number(request.query.get('page'));
      sendJson(response, 200, {
        meta: { count: 3, current_page: String(page) },
        payload: page === 1 ? [contact(1), contact(2)] : [contact(3)],
      });
    });
    const matches = await client().filterContacts('email', 'c1@example.com');

    assert.deepEqual(
      matches.map((c) => c.id),
      [1, 2, 3],
    );
    assert.equal(server.received.length, 2, 'the total in meta.count saves a request for an empty page');
    assert.equal(server.received[0].path, `${ACCOUNT}/contacts/filter`);
    assert.deepEqual(jsonBody(server.received[0]), {
      payload: [{ attribute_key: 'email', filter_operator: 'equal_to', values: ['c1@example.com'] }],
    });
  });

  it('finds conversations by many attribute values with OR conditions, 25 a request, none dangling', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, { meta: { all_count: 1 }, payload: [{ id: 5, inbox_id: 1, status: 'open' }] }),
    );
    const values = Array.from({ length: 30 }, (_, i) => `id-${i}`);
    const found = await client().filterConversationsByCustomAttributeValues('intercom_conversation_id', [
      ...values,
      'id-0',
    ]);
    assert.equal(found.length, 2, 'one match from each request');
    const bodies = server.received.map((r) => jsonBody(r) as { payload: Record<string, unknown>[] });
    assert.deepEqual(
      bodies.map((b) => b.payload.length),
      [25, 5],
    );
    for (const body of bodies) {
      assert.deepEqual(
        body.payload.map((c) => c.query_operator),
        [...Array(body.payload.length - 1).fill('OR'), undefined],
      );
      for (const condition of body.payload) assert.equal((condition.values as unknown[]).length, 1);
    }
  });

  it('finds conversations by custom attribute with either response envelope', async () => {
    let wrapped = false;
    server = await startServer((_request, response) => {
      const body = { meta: { all_count: 1 }, payload: [{ id: 12, inbox_id: 1, status: 'resolved' }] };
      sendJson(response, 200, wrapped ? { data: body } : body);
    });
    const first = await client().filterConversationsByCustomAttribute('intercom_conversation_id', '777');
    wrapped = true;
    const second = await client().filterConversationsByCustomAttribute('intercom_conversation_id', '777');

    assert.deepEqual(
      [...first, ...second].map((c) => c.id),
      [12, 12],
    );
    assert.deepEqual(jsonBody(server.received[0]), {
      payload: [{ attribute_key: 'intercom_conversation_id', filter_operator: 'equal_to', values: ['777'] }],
    });
  });

  it('lists conversations page by page with status=all', async () => {
    server = await startServer((request, response) => {
      const page = Number(request.query.get('page'));
      const payload = page === 1 ? [{ id: 1 }, { id: 2 }] : page === 2 ? [{ id: 3 }] : [];
      sendJson(response, 200, { data: { meta: { all_count: 3 }, payload } });
    });
    const pages: number[][] = [];
    for await (const page of client().listConversationPages({ inboxId: 4 }))
      pages.push(page.items.map((c) => c.id));

    assert.deepEqual(pages, [[1, 2], [3]]);
    assert.equal(server.received[0].query.get('status'), 'all');
    assert.equal(server.received[0].query.get('assignee_type'), 'all');
    assert.equal(server.received[0].query.get('inbox_id'), '4');
  });

  it('walks messages with after= in ascending pages of up to 100 until a short page', async () => {
    const all = Array.from({ length: 230 }, (_, index) => message(index + 1));
    server = await startServer((request, response) => {
      const after = Number(request.query.get('after'));
      sendJson(response, 200, { meta: {}, payload: all.filter((m) => m.id > after).slice(0, 100) });
    });
    const walker = client();
    const pages: number[][] = [];
    for await (const page of walker.messagesAfter(8)) pages.push(page.map((m) => m.id));

    assert.deepEqual(
      pages.map((ids) => [ids.length, ids[0], ids[ids.length - 1]]),
      [
        [100, 1, 100],
        [100, 101, 200],
        [30, 201, 230],
      ],
    );
    assert.deepEqual(
      server.received.map((r) => r.query.get('after')),
      ['0', '100', '200'],
    );
    assert.equal(server.received[0].path, `${ACCOUNT}/conversations/8/messages`);
    assert.equal(walker.stats.requests, 3);
    assert.equal(
      walker.stats.byRoute['GET /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages'],
      3,
    );
  });

  it('resumes messages after a given id and maps message_type integers to names', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, {
        payload: [message(51, { message_type: 1 }), message(52, { message_type: 2 })],
      }),
    );
    const pages: string[][] = [];
    for await (const page of client().messagesAfter(8, 50)) pages.push(page.map((m) => m.message_type));
    assert.deepEqual(pages, [['outgoing', 'activity']]);
    assert.equal(server.received[0].query.get('after'), '50');
  });

  it('creates a message as JSON when it has no attachments', async () => {
    server = await startServer((_request, response) => sendJson(response, 200, message(3)));
    await client().createMessage(8, {
      content: 'note',
      message_type: 'outgoing',
      private: true,
      source_id: 'part-9',
      content_attributes: { intercom: { part_type: 'note' } },
    });
    assert.match(String(server.received[0].headers['content-type']), /^application\/json/);
    assert.deepEqual(jsonBody(server.received[0]), {
      content: 'note',
      message_type: 'outgoing',
      private: true,
      source_id: 'part-9',
      content_attributes: { intercom: { part_type: 'note' } },
    });
  });

  it('uploads attachments as multipart attachments[], re-opening streams for a retry', async () => {
    let calls = 0;
    server = await startServer((_request, response) => {
      calls++;
      if (calls === 1) retryLater(response);
      else
        sendJson(
          response,
          200,
          message(4, {
            attachments: [
              { id: 1, file_type: 'image' },
              { id: 2, file_type: 'file' },
            ],
          }),
        );
    });
    const streamed = Buffer.alloc(200_000, 7);
    let opened = 0;
    const created = await client().createMessage(8, {
      content: 'see "attached"',
      message_type: 'incoming',
      private: false,
      source_id: 'part-2',
      content_attributes: { original_created_at: 1_700_000_000 },
      attachments: [
        { fileName: 'photo "1".png', contentType: 'image/png', data: Buffer.from('png-bytes') },
        {
          fileName: 'report.pdf',
          contentType: 'application/pdf',
          data: () => {
            opened++;
            return Readable.from([streamed.subarray(0, 65_536), streamed.subarray(65_536)]);
          },
        },
      ],
    });

    assert.equal(created.attachments?.length, 2);
    assert.equal(opened, 2, 'the stream factory is called once per attempt');
    const upload = server.received[1];
    assert.match(String(upload.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.equal(upload.headers['transfer-encoding'], 'chunked');
    assert.ok(
      upload.body.includes('filename="photo %221%22.png"'),
      'the quote in the file name is escaped on the wire',
    );
    const form = await formData(upload);
    assert.equal(form.get('content'), 'see "attached"');
    assert.equal(form.get('message_type'), 'incoming');
    assert.equal(form.get('private'), 'false');
    assert.equal(form.get('source_id'), 'part-2');
    assert.deepEqual(JSON.parse(String(form.get('content_attributes'))), {
      original_created_at: 1_700_000_000,
    });
    const files = form.getAll('attachments[]') as File[];
    assert.deepEqual(
      files.map((file) => [file.name, file.type, file.size]),
      [
        ['photo "1".png', 'image/png', 9],
        ['report.pdf', 'application/pdf', 200_000],
      ],
    );
    assert.equal(Buffer.from(await files[0].arrayBuffer()).toString(), 'png-bytes');
    assert.ok(Buffer.from(await files[1].arrayBuffer()).equals(streamed));
  });

  it('sends a content length for uploads made only of buffers', async () => {
    server = await startServer((_request, response) => sendJson(response, 200, message(4)));
    await client().createMessage(8, {
      content: 'x',
      message_type: 'outgoing',
      private: false,
      attachments: [{ fileName: 'a.txt', contentType: 'text/plain', data: Buffer.from('abc') }],
    });
    const upload = server.received[0];
    assert.equal(Number(upload.headers['content-length']), upload.body.length);
    const form = await formData(upload);
    assert.equal(await (form.get('attachments[]') as File).text(), 'abc');
  });

  it('assigns the team before the agent, one request each', async () => {
    server = await startServer((request, response) => {
      const body = jsonBody(request) as Record<string, number>;
      sendJson(
        response,
        200,
        'team_id' in body ? { id: body.team_id, name: 'support' } : { id: body.assignee_id },
      );
    });
    await client().assign(5, { assignee_id: 2, team_id: 7 });

    assert.deepEqual(
      server.received.map((r) => [r.path, jsonBody(r)]),
      [
        [`${ACCOUNT}/conversations/5/assignments`, { team_id: 7 }],
        [`${ACCOUNT}/conversations/5/assignments`, { assignee_id: 2 }],
      ],
    );
  });

  it('accepts a null answer from the assignment route', async () => {
    server = await startServer((_request, response) => sendJson(response, 200, null));
    await client().assign(5, { assignee_id: 99 });
    assert.equal(server.received.length, 1);
  });

  it('toggles status with snoozed_until and replaces labels', async () => {
    server = await startServer((request, response) => {
      if (request.path.endsWith('/toggle_status')) {
        sendJson(response, 200, {
          meta: {},
          payload: { success: true, current_status: 'snoozed', conversation_id: 5 },
        });
      } else sendJson(response, 200, { payload: ['from_intercom', 'vip'] });
    });
    const cw = client();
    const status = await cw.toggleStatus(5, 'snoozed', 1_800_000_000);
    const labels = await cw.setLabels(5, ['from_intercom', 'vip']);

    assert.equal(status.current_status, 'snoozed');
    assert.deepEqual(labels, ['from_intercom', 'vip']);
    assert.deepEqual(jsonBody(server.received[0]), { status: 'snoozed', snoozed_until: 1_800_000_000 });
    assert.deepEqual(jsonBody(server.received[1]), { labels: ['from_intercom', 'vip'] });
  });

  it('creates conversation custom attribute definitions with the enum integers', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, {
        id: 1,
        attribute_key: 'intercom_conversation_id',
        attribute_display_type: 'text',
        attribute_model: 'conversation_attribute',
      }),
    );
    const definition = await client().createCustomAttributeDefinition({
      model: 'conversation',
      key: 'intercom_conversation_id',
      displayName: 'Intercom conversation id',
      displayType: 'text',
    });

    assert.equal(definition.attribute_key, 'intercom_conversation_id');
    assert.deepEqual(jsonBody(server.received[0]), {
      attribute_display_name: 'Intercom conversation id',
      attribute_display_type: 0,
      attribute_key: 'intercom_conversation_id',
      attribute_model: 0,
    });
  });

  it('reads help-center objects with or without a payload wrapper and walks article pages', async () => {
    server = await startServer((request, response) => {
      if (request.method === 'POST' && request.path.endsWith('/portals')) {
        sendJson(response, 200, { id: 1, name: 'Help', slug: 'help' });
      } else if (request.method === 'POST' && request.path.endsWith('/categories')) {
        sendJson(response, 200, { payload: { id: 2, name: 'Billing', slug: 'billing', locale: 'en' } });
      } else {
        const page = Number(request.query.get('page'));
        const payload = page <= 2 ? [{ id: page, title: `Article ${page}` }] : [];
        sendJson(response, 200, { payload, meta: { current_page: page } });
      }
    });
    const cw = client();
    const portal = await cw.helpCenter.createPortal({ name: 'Help', slug: 'help' });
    const category = await cw.helpCenter.createCategory(portal.slug, { name: 'Billing', locale: 'en' });
    const articles = await cw.helpCenter.listArticles(portal.slug);

    assert.equal(category.id, 2);
    assert.deepEqual(
      articles.map((a) => a.title),
      ['Article 1', 'Article 2'],
    );
    assert.equal(server.received[2].path, `${ACCOUNT}/portals/help/articles`);
  });

  it('reads CSAT metrics for a time range and inbox', async () => {
    server = await startServer((_request, response) =>
      sendJson(response, 200, {
        total_count: 4,
        ratings_count: { '5': 3, '1': 1 },
        total_sent_messages_count: 10,
      }),
    );
    const metrics = await client().csatMetrics({ since: 100, until: 200, inboxId: 6 });

    assert.deepEqual(metrics.ratings_count, { '5': 3, '1': 1 });
    const query = server.received[0].query;
    assert.equal(server.received[0].path, `${ACCOUNT}/csat_survey_responses/metrics`);
    assert.deepEqual([query.get('since'), query.get('until'), query.get('inbox_id')], ['100', '200', '6']);
  });

  it('paces calls with requestsPerSecond', async () => {
    server = await startServer((_request, response) => sendJson(response, 200, { payload: [] }));
    const cw = client({ requestsPerSecond: 10 });
    await Promise.all([cw.listLabels(), cw.listLabels(), cw.listLabels()]);
    const arrivals = server.received.map((r) => r.at).sort((a, b) => a - b);
    assert.ok(arrivals[2] - arrivals[0] >= 190, `3 requests at 10/s spanned ${arrivals[2] - arrivals[0]} ms`);
  });
});
