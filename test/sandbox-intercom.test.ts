import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import * as schemas from '../src/clients/intercom/schemas.js';
import {
  generateWorkspace,
  type IntercomDataset,
  type IntercomSandbox,
  type IntercomSandboxOptions,
  loadWorkspace,
  saveWorkspace,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';

const TOKEN = 'sandbox-test-token';

function withoutReader(dataset: IntercomDataset): Omit<IntercomDataset, 'readAttachment'> {
  const { readAttachment: _reader, ...rest } = dataset;
  return rest;
}

interface CallOptions {
  method?: string;
  body?: unknown;
  /** null: send no Authorization header. */
  token?: string | null;
  /** null: send no Intercom-Version header. */
  version?: string | null;
}

interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(sandbox: IntercomSandbox, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  if (options.version !== null) headers['intercom-version'] = options.version ?? '2.16';
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path.startsWith('http') ? path : `${sandbox.url}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) assert.fail(`schema mismatch: ${result.error.message}`);
  return result.data;
}

function errorCode(result: CallResult): string {
  return parse(schemas.IntercomErrorBody, result.json).errors[0]?.code ?? '';
}

describe('Intercom sandbox: generator', () => {
  it('is deterministic by seed, attachment bytes included', async () => {
    const options = { seed: 42, conversations: 30, longConversations: 1 };
    const first = generateWorkspace(options);
    const second = generateWorkspace(options);
    assert.deepStrictEqual(withoutReader(first), withoutReader(second));
    assert.notDeepStrictEqual(
      withoutReader(first),
      withoutReader(generateWorkspace({ ...options, seed: 43 })),
    );
    const paths = Object.keys(first.attachments);
    assert.ok(paths.length > 10);
    for (const path of paths.slice(0, 10)) {
      const a = await first.readAttachment(path);
      const b = await second.readAttachment(path);
      assert.ok(a && b);
      assert.equal(a.length, first.attachments[path]?.size);
      assert.ok(a.equals(b));
    }
    assert.equal(await first.readAttachment('i/o/no/such/file'), undefined);
  });

  it('produces schema-valid, realistic data', async () => {
    const dataset = generateWorkspace({
      seed: 3,
      conversations: 60,
      longConversations: 1,
      caseDuplicateContacts: 2,
    });
    const lists: [unknown[], z.ZodType][] = [
      [dataset.contacts, schemas.Contact],
      [dataset.companies, schemas.Company],
      [dataset.tags, schemas.Tag],
      [dataset.teams, schemas.Team],
      [dataset.admins, schemas.Admin],
      [dataset.macros, schemas.Macro],
      [dataset.dataAttributes, schemas.DataAttribute],
      [dataset.collections, schemas.Collection],
      [dataset.articles, schemas.Article],
      [dataset.conversations, schemas.Conversation],
      [dataset.deletedConversations, schemas.DeletedConversation],
    ];
    for (const [items, schema] of lists) {
      assert.ok(items.length > 0);
      for (const item of items) parse(schema, item);
    }
    assert.equal(dataset.contacts.length, 30);

    // Contacts: hex ids, case-only duplicates, odd phones, unreachable ones.
    for (const contact of dataset.contacts) assert.match(contact.id, /^[0-9a-f]{24}$/);
    const emails = dataset.contacts.map((c) => c.email).filter((e): e is string => typeof e === 'string');
    const caseDuplicates = emails.filter(
      (email, i) =>
        emails.findIndex(
          (other, j) => j !== i && other !== email && other.toLowerCase() === email.toLowerCase(),
        ) >= 0,
    );
    assert.equal(caseDuplicates.length, 4, 'two pairs of emails differing only by case');
    const phones = dataset.contacts.map((c) => c.phone).filter((p): p is string => typeof p === 'string');
    assert.ok(phones.some((p) => /^\(\d{3}\) \d{3}-\d{4}$/.test(p)));
    assert.ok(phones.some((p) => /^\+\d{10,15}$/.test(p)));
    assert.ok(dataset.contacts.some((c) => !c.email && c.phone));
    assert.ok(dataset.contacts.some((c) => !c.email && !c.phone));
    assert.ok(
      dataset.contacts.some((c) => c.role === 'lead') && dataset.contacts.some((c) => c.role === 'user'),
    );
    assert.ok(
      dataset.admins.some((a) => a.email !== a.email?.toLowerCase()),
      'mixed-case admin emails',
    );
    const adminIds = new Set(dataset.admins.map((a) => a.id));
    for (const team of dataset.teams) for (const id of team.admin_ids) assert.ok(adminIds.has(id));
    for (const macro of dataset.macros) assert.ok(!Number.isNaN(Date.parse(macro.created_at ?? '')));
    assert.deepEqual(
      new Set(dataset.dataAttributes.map((a) => a.model)),
      new Set(['contact', 'company', 'conversation']),
    );
    assert.ok(dataset.articles.some((a) => (a.body ?? '').length > 20_000));

    // Conversations: numeric ids, ordered parts, all the part types and authors, the limits.
    const partTypes = new Set<string>();
    const authorTypes = new Set<string>();
    const bodies: string[] = [];
    for (const conversation of dataset.conversations) {
      assert.match(conversation.id, /^\d+$/);
      const parts = conversation.conversation_parts?.conversation_parts ?? [];
      let previous = conversation.created_at;
      for (const part of parts) {
        assert.ok(part.created_at > previous, `parts of ${conversation.id} in strictly increasing time`);
        previous = part.created_at;
        partTypes.add(part.part_type);
        authorTypes.add(part.author.type);
        if (part.body) bodies.push(part.body);
      }
      bodies.push(conversation.source.body ?? '');
      assert.equal(conversation.updated_at, previous);
      assert.equal(conversation.statistics?.count_conversation_parts, parts.length);
      if (conversation.state === 'snoozed')
        assert.ok((conversation.snoozed_until ?? 0) > conversation.updated_at);
      assert.ok(['open', 'closed', 'snoozed'].includes(conversation.state));
    }
    for (const type of ['comment', 'note', 'assignment', 'open', 'close', 'snoozed'])
      assert.ok(partTypes.has(type), type);
    assert.ok(
      [...partTypes].some((type) => type.startsWith('custom_action')),
      'an undocumented part type',
    );
    for (const type of ['user', 'lead', 'admin', 'bot']) assert.ok(authorTypes.has(type), type);
    assert.ok(
      dataset.conversations.some((c) => (c.conversation_parts?.conversation_parts.length ?? 0) > 500),
    );
    assert.ok(bodies.some((body) => body.length > 150_000));
    assert.ok(bodies.some((body) => body.includes('<script>')));
    assert.ok(bodies.some((body) => /<img src="intercom-sandbox-attachment:/.test(body)));
    assert.ok(bodies.some((body) => /\p{Extended_Pictographic}/u.test(body)));
    const closed = dataset.conversations.filter((c) => c.state === 'closed');
    const rated = closed.filter((c) => c.conversation_rating);
    assert.ok(rated.length > 0 && rated.length < closed.length);
    for (const c of rated)
      assert.ok((c.conversation_rating?.rating ?? 0) >= 1 && (c.conversation_rating?.rating ?? 9) <= 5);
    const conversationIds = new Set(dataset.conversations.map((c) => c.id));
    for (const deleted of dataset.deletedConversations) assert.ok(!conversationIds.has(deleted.id));

    // Attachments: unsafe names, three content types, bytes generated on demand with the right size.
    const descriptors = Object.entries(dataset.attachments);
    const names = descriptors.map(([, d]) => d.name);
    assert.ok(names.includes('../../etc/passwd') && names.includes('report 2024?.pdf'));
    assert.deepEqual(
      new Set(descriptors.map(([, d]) => d.contentType)),
      new Set(['image/png', 'application/pdf', 'text/plain']),
    );
    for (const [path, descriptor] of descriptors.slice(0, 12)) {
      const bytes = await dataset.readAttachment(path);
      assert.equal(bytes?.length, descriptor.size);
      assert.ok(descriptor.size >= 1024 && descriptor.size <= 310 * 1024);
      if (descriptor.contentType === 'image/png') assert.equal(bytes?.subarray(1, 4).toString(), 'PNG');
      if (descriptor.contentType === 'application/pdf')
        assert.equal(bytes?.subarray(0, 5).toString(), '%PDF-');
    }
  });
});

describe('Intercom sandbox: server', () => {
  let sandbox: IntercomSandbox | undefined;
  let clock = 1_700_000_003_000;

  async function start(
    dataset: IntercomDataset,
    options: Partial<IntercomSandboxOptions> = {},
  ): Promise<IntercomSandbox> {
    sandbox = await startIntercomSandbox({ dataset, token: TOKEN, now: () => clock, ...options });
    return sandbox;
  }

  beforeEach(() => {
    clock = 1_700_000_003_000;
  });

  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('answers 401 with an error.list without a valid bearer token', async () => {
    const s = await start(generateWorkspace({ seed: 1, conversations: 3 }));
    for (const token of [null, 'wrong-token']) {
      const result = await call(s, '/conversations', { token });
      assert.equal(result.status, 401);
      assert.equal(errorCode(result), 'unauthorized');
      assert.deepEqual((result.json as { errors: unknown[] }).errors, [
        { code: 'unauthorized', message: 'Access Token Invalid' },
      ]);
      assert.ok(result.headers.get('x-ratelimit-limit'));
    }
    const me = await call(s, '/me');
    assert.equal(me.status, 200);
    assert.equal((me.json as { app: { id_code: string } }).app.id_code.length > 0, true);
  });

  it('pages every contact and conversation exactly once, without parts in the list', async () => {
    const dataset = generateWorkspace({ seed: 5, conversations: 45, contacts: 23 });
    const s = await start(dataset);

    const contactIds: string[] = [];
    let cursor: string | undefined;
    do {
      const query = `per_page=7${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ''}`;
      const page = parse(schemas.ContactList, (await call(s, `/contacts?${query}`)).json);
      assert.equal(page.total_count, 23);
      contactIds.push(...page.data.map((c) => c.id));
      const next = page.pages?.next;
      cursor = typeof next === 'object' && next !== null ? (next.starting_after ?? undefined) : undefined;
    } while (cursor);
    assert.equal(contactIds.length, 23);
    assert.deepEqual(new Set(contactIds), new Set(dataset.contacts.map((c) => c.id)));

    const conversationIds: string[] = [];
    cursor = undefined;
    let pages = 0;
    do {
      const query = `per_page=10${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ''}`;
      const raw = (await call(s, `/conversations?${query}`)).json as {
        conversations: Record<string, unknown>[];
      };
      for (const item of raw.conversations) {
        assert.equal('conversation_parts' in item, false);
        assert.equal(typeof item.admin_assignee_id, 'number', 'assignee ids are numbers on the wire');
      }
      const page = parse(schemas.ConversationList, raw);
      conversationIds.push(...page.conversations.map((c) => c.id));
      const next = page.pages?.next;
      cursor = typeof next === 'object' && next !== null ? (next.starting_after ?? undefined) : undefined;
      pages++;
    } while (cursor);
    assert.equal(pages, 5);
    assert.equal(conversationIds.length, 45);
    assert.deepEqual(new Set(conversationIds), new Set(dataset.conversations.map((c) => c.id)));

    const tooBig = await call(s, '/conversations?per_page=151');
    assert.equal(tooBig.status, 400);
    assert.equal(errorCode(tooBig), 'parameter_invalid');
    assert.equal((await call(s, '/contacts?per_page=151')).status, 400);
    assert.equal((await call(s, '/conversations?starting_after=not-a-cursor')).status, 400);
    const missing = await call(s, '/conversations/999999999');
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'not_found');
  });

  it('sends rate-limit headers and answers 429 beyond the window budget', async () => {
    const s = await start(generateWorkspace({ seed: 1, conversations: 2 }), { rateLimitPer10s: 3 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await call(s, '/tags');
      assert.equal(result.status, 200);
      assert.equal(result.headers.get('x-ratelimit-limit'), '3');
      assert.equal(result.headers.get('x-ratelimit-reset'), '1700000010');
      remaining.push(result.headers.get('x-ratelimit-remaining') ?? '');
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    const limited = await call(s, '/tags');
    assert.equal(limited.status, 429);
    assert.equal(errorCode(limited), 'rate_limit_exceeded');
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    assert.equal(s.stats.rateLimited, 1);
    clock += 10_000;
    const nextWindow = await call(s, '/tags');
    assert.equal(nextWindow.status, 200);
    assert.equal(nextWindow.headers.get('x-ratelimit-remaining'), '2');
    assert.equal(nextWindow.headers.get('x-ratelimit-reset'), '1700000020');
  });

  it('returns at most 500 parts, the most recent, with the real total in statistics', async () => {
    const dataset = generateWorkspace({ seed: 9, conversations: 4, longConversations: 1 });
    const long = dataset.conversations.find(
      (c) => (c.conversation_parts?.conversation_parts.length ?? 0) > 500,
    );
    assert.ok(long);
    const allParts = long.conversation_parts?.conversation_parts ?? [];
    const s = await start(dataset);
    const conversation = parse(schemas.Conversation, (await call(s, `/conversations/${long.id}`)).json);
    const parts = conversation.conversation_parts?.conversation_parts ?? [];
    assert.equal(parts.length, 500);
    assert.equal(conversation.conversation_parts?.total_count, 500);
    assert.equal(conversation.statistics?.count_conversation_parts, allParts.length);
    assert.equal(parts[0]?.id, allParts[allParts.length - 500]?.id);
    assert.equal(parts[499]?.id, allParts[allParts.length - 1]?.id);
    assert.equal(conversation.source.id, long.source.id);

    await s.close();
    const small = await start(dataset, { partsCap: 10 });
    const capped = parse(schemas.Conversation, (await call(small, `/conversations/${long.id}`)).json);
    assert.equal(capped.conversation_parts?.conversation_parts.length, 10);
  });

  it('allows one companies scroll at a time, expires it when idle and ends with an empty page', async () => {
    const dataset = generateWorkspace({ seed: 2, conversations: 2, companies: 7 });
    const s = await start(dataset, { scrollPageSize: 3, scrollIdleMs: 60_000 });
    const first = parse(schemas.CompanyScroll, (await call(s, '/companies/scroll')).json);
    assert.equal(first.data.length, 3);
    const param = first.scroll_param ?? '';
    assert.ok(param);

    const second = await call(s, '/companies/scroll');
    assert.equal(second.status, 400);
    assert.equal(errorCode(second), 'scroll_exists');

    const seen = first.data.map((c) => c.id);
    for (const expected of [3, 1, 0]) {
      clock += 30_000; // within the idle limit each time
      const page = parse(
        schemas.CompanyScroll,
        (await call(s, `/companies/scroll?scroll_param=${param}`)).json,
      );
      assert.equal(page.data.length, expected);
      seen.push(...page.data.map((c) => c.id));
    }
    assert.deepEqual(
      seen,
      dataset.companies.map((c) => c.id),
    );
    assert.equal(
      (await call(s, `/companies/scroll?scroll_param=${param}`)).status,
      500,
      'finished scroll is gone',
    );

    const again = parse(schemas.CompanyScroll, (await call(s, '/companies/scroll')).json);
    clock += 60_001;
    const expired = await call(s, `/companies/scroll?scroll_param=${again.scroll_param}`);
    assert.equal(expired.status, 500);
    assert.match(JSON.stringify(expired.json), /restart the scroll/);
    assert.equal((await call(s, '/companies/scroll?scroll_param=unknown')).status, 500);
    assert.equal(
      (await call(s, '/companies/scroll')).status,
      200,
      'an expired scroll no longer blocks a new one',
    );
  });

  it('lets a conversation updated during search paging cause a skip and a repeat', async () => {
    const dataset = generateWorkspace({ seed: 11, conversations: 12 });
    const s = await start(dataset);
    const search = async (startingAfter?: string) => {
      const pagination: Record<string, unknown> = { per_page: 5 };
      if (startingAfter) pagination.starting_after = startingAfter;
      const result = await call(s, '/conversations/search', {
        method: 'POST',
        body: { query: { field: 'updated_at', operator: '>', value: 0 }, pagination },
      });
      assert.equal(result.status, 200);
      return parse(schemas.ConversationList, result.json);
    };
    const cursorOf = (page: z.infer<typeof schemas.ConversationList>) => {
      const next = page.pages?.next;
      return typeof next === 'object' && next !== null ? (next.starting_after ?? undefined) : undefined;
    };
    const ascending = [...dataset.conversations].sort((a, b) => a.updated_at - b.updated_at).map((c) => c.id);

    const first = await search();
    assert.deepEqual(
      first.conversations.map((c) => c.id),
      ascending.slice(0, 5),
    );
    const moved = first.conversations[0]?.id ?? '';
    s.replyToConversation(moved, '<p>one more thing</p>', { type: 'admin', id: dataset.admins[0]?.id ?? '' });

    const seen = first.conversations.map((c) => c.id);
    let cursor = cursorOf(first);
    while (cursor) {
      const page = await search(cursor);
      seen.push(...page.conversations.map((c) => c.id));
      cursor = cursorOf(page);
    }
    assert.equal(seen.filter((id) => id === moved).length, 2, 'the updated conversation comes twice');
    const skipped = ascending.filter((id) => !seen.includes(id));
    assert.deepEqual(skipped, [ascending[5]], 'the one that slid into the read page is skipped');

    // ">" includes equality, as the API's operator table says; bad queries are refused.
    const pivot = dataset.conversations[3];
    assert.ok(pivot);
    const gte = await call(s, '/conversations/search', {
      method: 'POST',
      body: {
        query: { field: 'updated_at', operator: '>', value: String(pivot.updated_at) },
        pagination: { per_page: 150 },
      },
    });
    assert.ok(parse(schemas.ConversationList, gte.json).conversations.some((c) => c.id === pivot.id));
    const nested = {
      operator: 'AND',
      value: [
        { field: 'updated_at', operator: '>', value: 1 },
        {
          operator: 'OR',
          value: [
            { field: 'state', operator: '=', value: 'open' },
            { field: 'state', operator: '=', value: 'closed' },
          ],
        },
      ],
    };
    const ok = await call(s, '/conversations/search', { method: 'POST', body: { query: nested } });
    assert.equal(ok.status, 200);
    const tooDeep = { operator: 'AND', value: [{ operator: 'OR', value: [nested] }] };
    for (const query of [
      tooDeep,
      { field: 'updated_at', operator: '!=', value: 1 },
      { field: 'updated_at', operator: '>', value: 'yesterday' },
      { field: 'no_such_field', operator: '=', value: 1 },
    ]) {
      const refused = await call(s, '/conversations/search', { method: 'POST', body: { query } });
      assert.equal(refused.status, 400, JSON.stringify(query));
    }
    assert.equal((await call(s, '/conversations/search', { method: 'POST', body: {} })).status, 400);
  });

  it('signs attachment links that expire and refuses tampered ones with S3-style XML', async () => {
    const dataset = generateWorkspace({
      seed: 4,
      conversations: 10,
      attachmentEvery: 2,
      inlineImageEvery: 2,
    });
    const s = await start(dataset, { attachmentLinkTtlMs: 60_000 });
    const withAttachment = dataset.conversations.find((c) => c.source.attachments.length > 0);
    assert.ok(withAttachment);
    const conversation = parse(
      schemas.Conversation,
      (await call(s, `/conversations/${withAttachment.id}`)).json,
    );
    const attachment = conversation.source.attachments[0];
    assert.ok(attachment);
    assert.ok(attachment.url.startsWith(`${s.url}/attachments/`));
    assert.match(attachment.url, /[?&]expires=1700000063&signature=[0-9a-f]{64}$/);

    const download = await fetch(attachment.url);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), attachment.content_type);
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(Number(download.headers.get('content-length')), attachment.filesize);
    const path = withAttachment.source.attachments[0]?.url.replace('intercom-sandbox-attachment:', '') ?? '';
    assert.ok(bytes.equals((await dataset.readAttachment(path)) ?? Buffer.alloc(0)));
    assert.equal(s.stats.attachmentDownloads, 1);

    // Flip the signature's first hex digit: replacing it with a fixed digit left it unchanged one time in 16.
    const tampered = await fetch(
      attachment.url.replace(/signature=(.)/, (_, digit: string) => `signature=${digit === '0' ? '1' : '0'}`),
    );
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /<Code>AccessDenied<\/Code>/);

    // Inline images in bodies are signed the same way.
    const withImage = dataset.conversations.find((c) =>
      [c.source, ...(c.conversation_parts?.conversation_parts ?? [])].some((m) => m.body?.includes('<img')),
    );
    assert.ok(withImage);
    const served = JSON.stringify((await call(s, `/conversations/${withImage.id}`)).json);
    assert.equal(served.includes('intercom-sandbox-attachment:'), false);
    const imageUrl = /<img src=\\"([^"\\]+)\\"/.exec(served)?.[1] ?? '';
    assert.ok(imageUrl.startsWith(`${s.url}/attachments/`));
    assert.equal((await fetch(imageUrl)).headers.get('content-type'), 'image/png');

    clock += 61_000;
    const expired = await fetch(attachment.url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    assert.equal((await fetch(s.signAttachmentUrl(path))).status, 200, 'a freshly minted link works again');
  });

  it('injects faults at roughly the configured rates, steerable through the control route', async () => {
    const s = await start(generateWorkspace({ seed: 1, conversations: 2 }), {
      faults: { rate5xx: 0.3, rate429: 0.1, seed: 5 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) statuses.push((await call(s, '/tags')).status);
    const share = (predicate: (status: number) => boolean) =>
      statuses.filter(predicate).length / statuses.length;
    const serverErrors = share((status) => status >= 500);
    const limited = share((status) => status === 429);
    assert.ok(serverErrors > 0.22 && serverErrors < 0.38, `5xx share ${serverErrors}`);
    assert.ok(limited > 0.05 && limited < 0.16, `429 share ${limited}`);
    assert.equal(s.faults.counts.injected5xx, statuses.filter((status) => status >= 500).length);

    const configure = await fetch(`${s.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate5xx: 0, rate429: 0, rateDrop: 1 }),
    });
    assert.equal(configure.status, 200);
    await assert.rejects(call(s, '/tags'), 'the connection is dropped');
    s.faults.configure({ rateDrop: 0 });
    assert.equal((await call(s, '/tags')).status, 200);

    const stats = (await (await fetch(`${s.url}/__sandbox/stats`)).json()) as {
      stats: { byRoute: Record<string, number> };
    };
    assert.equal(stats.stats.byRoute['GET /tags'], 302);
    const bad = await fetch(`${s.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rate5xx: 3 }),
    });
    assert.equal(bad.status, 400);
  });

  it('honours Intercom-Version: macros and deleted conversations need a recent version', async () => {
    const dataset = generateWorkspace({ seed: 6, conversations: 30, macros: 5 });
    const s = await start(dataset);
    const old = await call(s, '/macros', { version: null });
    assert.equal(old.status, 404);
    assert.equal(errorCode(old), 'not_found');
    assert.equal((await call(s, '/macros', { version: '2.14' })).status, 404);
    assert.equal(s.stats.withoutVersionHeader, 1);
    assert.equal(errorCode(await call(s, '/tags', { version: '9.9' })), 'intercom_version_invalid');

    const macroIds: string[] = [];
    let cursor: string | undefined;
    do {
      const page = parse(
        schemas.MacroList,
        (await call(s, `/macros?per_page=2${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ''}`))
          .json,
      );
      macroIds.push(...page.data.map((m) => m.id));
      const next = page.pages?.next;
      cursor = typeof next === 'object' && next !== null ? (next.starting_after ?? undefined) : undefined;
      if (cursor) assert.match(Buffer.from(cursor, 'base64').toString(), /^\[\d+\.0, "\d+"\]$/);
    } while (cursor);
    assert.deepEqual(new Set(macroIds), new Set(dataset.macros.map((m) => m.id)));
    assert.equal(macroIds.length, 5);

    assert.equal(
      errorCode(await call(s, '/conversations/deleted', { version: null })),
      'intercom_version_invalid',
    );
    const deleted = (await call(s, '/conversations/deleted?order=asc&per_page=60')).json as {
      conversations: { id: string }[];
      pages: { next: string | null };
    };
    assert.deepEqual(
      deleted.conversations.map((d) => d.id).sort(),
      dataset.deletedConversations.map((d) => d.id).sort(),
    );
    assert.equal(deleted.pages.next, null);
  });

  it('serves attribute definitions the 2.16 way', async () => {
    const s = await start(generateWorkspace({ seed: 6, conversations: 3 }));
    const conversationModel = await call(s, '/data_attributes?model=conversation');
    assert.equal(conversationModel.status, 422);
    const contact = parse(schemas.DataAttributeList, (await call(s, '/data_attributes?model=contact')).json);
    assert.ok(contact.data.length > 0 && contact.data.every((a) => a.model === 'contact' && !a.archived));
    const withArchived = parse(
      schemas.DataAttributeList,
      (await call(s, '/data_attributes?model=contact&include_archived=true')).json,
    );
    assert.equal(withArchived.data.length, contact.data.length + 1);
    const conversation = (await call(s, '/conversations/attributes')).json as {
      data: { type: string; id: unknown; options?: { id: string; label: string }[] }[];
    };
    assert.ok(
      conversation.data.every((a) => a.type === 'conversation_attribute' && typeof a.id === 'number'),
    );
    const list = conversation.data.find((a) => a.options);
    assert.deepEqual(
      list?.options?.map((o) => o.label),
      ['billing', 'bug', 'other'],
    );
    assert.match(list?.options?.[0]?.id ?? '', /^[0-9a-f-]{36}$/);
    const articles = (await call(s, '/articles?per_page=2')).json as {
      pages: { total_pages: number; next?: string };
    };
    assert.equal(articles.pages.total_pages, 3);
    assert.equal(articles.pages.next, `${s.url}/articles?page=2&per_page=2`);
  });

  it('takes tags, replies and mutations from the API and the test hooks', async () => {
    const dataset = generateWorkspace({ seed: 8, conversations: 5 });
    const s = await start(dataset);
    const created = parse(
      schemas.Tag,
      (await call(s, '/tags', { method: 'POST', body: { name: 'migrated' } })).json,
    );
    const again = parse(
      schemas.Tag,
      (await call(s, '/tags', { method: 'POST', body: { name: 'migrated' } })).json,
    );
    assert.equal(again.id, created.id);
    assert.equal((await call(s, '/tags', { method: 'POST', body: { nope: 1 } })).status, 400);

    const target = dataset.conversations[0];
    const admin = dataset.admins[0];
    assert.ok(target && admin);
    const before = target.updated_at;
    const tagged = await call(s, `/conversations/${target.id}/tags`, {
      method: 'POST',
      body: { id: created.id, admin_id: admin.id },
    });
    assert.equal(tagged.status, 200);
    assert.equal(parse(schemas.Tag, tagged.json).name, 'migrated');
    assert.ok(target.tags?.tags.some((t) => t.id === created.id));
    assert.ok(target.updated_at > before);
    const unknown = await call(s, '/conversations/1/tags', {
      method: 'POST',
      body: { id: created.id, admin_id: admin.id },
    });
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'not_found');

    const partsBefore = target.conversation_parts?.conversation_parts.length ?? 0;
    const reply = await call(s, `/conversations/${target.id}/reply`, {
      method: 'POST',
      body: { message_type: 'note', type: 'admin', admin_id: admin.id, body: '<p>Migrated to Chatwoot</p>' },
    });
    assert.equal(reply.status, 200);
    const replied = parse(schemas.Conversation, reply.json);
    assert.equal(replied.conversation_parts?.conversation_parts.length, 1);
    assert.equal(replied.conversation_parts?.conversation_parts[0]?.part_type, 'note');
    assert.equal(target.conversation_parts?.conversation_parts.length, partsBefore + 1);

    const added = s.addConversation({ body: '<p>new</p>' });
    const listed = parse(schemas.ConversationList, (await call(s, '/conversations?per_page=150')).json);
    assert.equal(listed.conversations[0]?.id, added.id, 'newest updated first');
    s.deleteConversation(added.id);
    assert.equal((await call(s, `/conversations/${added.id}`)).status, 404);
    const deleted = (await call(s, '/conversations/deleted?per_page=60')).json as {
      conversations: { id: string }[];
    };
    assert.equal(deleted.conversations[0]?.id, added.id);
  });

  it('saves a workspace folder and loads back an equal dataset that the server can serve', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intercom-workspace-'));
    try {
      const original = generateWorkspace({
        seed: 12,
        conversations: 12,
        longConversations: 1,
        attachmentEvery: 9,
      });
      const folder = join(dir, 'ws');
      await saveWorkspace(original, folder);
      const loaded = await loadWorkspace(folder);
      assert.deepStrictEqual(withoutReader(loaded), withoutReader(original));
      for (const path of Object.keys(original.attachments)) {
        const saved = await loaded.readAttachment(path);
        const generated = await original.readAttachment(path);
        assert.ok(saved && generated && saved.equals(generated), path);
      }
      assert.equal(await loaded.readAttachment('../ws/me.json'), undefined);

      await writeFile(join(dir, 'stray.txt'), 'x');
      await assert.rejects(saveWorkspace(original, dir), /not empty/);

      const s = await start(loaded);
      const long = original.conversations.find(
        (c) => (c.conversation_parts?.conversation_parts.length ?? 0) > 500,
      );
      assert.ok(long);
      const served = parse(schemas.Conversation, (await call(s, `/conversations/${long.id}`)).json);
      assert.equal(
        served.statistics?.count_conversation_parts,
        long.conversation_parts?.conversation_parts.length,
      );
      const link = [served.source, ...(served.conversation_parts?.conversation_parts ?? [])]
        .flatMap((m) => m.attachments)
        .find((a) => a.url.startsWith(s.url));
      assert.ok(link);
      assert.equal((await fetch(link.url)).status, 200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps a captured conversation's count_conversation_parts, counting parts only when it is absent", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intercom-workspace-'));
    try {
      const folder = join(dir, 'ws');
      await saveWorkspace(generateWorkspace({ seed: 14, conversations: 6, partsPerConversation: 4 }), folder);
      // A capture from the real API: GET /conversations/{id} gave the 3 most recent of 560 parts.
      const paths = (await readdir(join(folder, 'conversations'))).map((name) =>
        join(folder, 'conversations', name),
      );
      const partsIn = async (path: string) =>
        JSON.parse(await readFile(path, 'utf8')).conversation_parts.conversation_parts.length as number;
      const counts = await Promise.all(paths.map(partsIn));
      const truncatedPath = paths[counts.findIndex((n) => n >= 3)];
      const uncountedPath = paths.find((path) => path !== truncatedPath);
      assert.ok(truncatedPath && uncountedPath);
      const captured = JSON.parse(await readFile(truncatedPath, 'utf8'));
      captured.conversation_parts.conversation_parts =
        captured.conversation_parts.conversation_parts.slice(-3);
      captured.conversation_parts.total_count = 3;
      captured.statistics.count_conversation_parts = 560;
      await writeFile(truncatedPath, JSON.stringify(captured));
      // An older capture without the count: the parts it holds are all there is to count.
      const uncounted = JSON.parse(await readFile(uncountedPath, 'utf8'));
      delete uncounted.statistics.count_conversation_parts;
      await writeFile(uncountedPath, JSON.stringify(uncounted));

      const s = await start(await loadWorkspace(folder));
      const served = parse(schemas.Conversation, (await call(s, `/conversations/${captured.id}`)).json);
      assert.equal(served.conversation_parts?.conversation_parts.length, 3);
      assert.equal(served.statistics?.count_conversation_parts, 560, 'the captured total, not 3');
      const recounted = parse(schemas.Conversation, (await call(s, `/conversations/${uncounted.id}`)).json);
      assert.equal(
        recounted.statistics?.count_conversation_parts,
        uncounted.conversation_parts.conversation_parts.length,
      );
      const found = (await call(s, '/conversations/search', {
        method: 'POST',
        body: { query: { field: 'statistics.count_conversation_parts', operator: '=', value: 560 } },
      })) as CallResult & { json: { conversations: { id: string }[] } };
      assert.deepEqual(
        found.json.conversations.map((c) => c.id),
        [captured.id],
      );
      // A reply adds one part to the total Intercom counts, not to the parts the folder holds.
      s.replyToConversation(captured.id, '<p>Any news?</p>', { type: 'admin', id: '1', name: 'Ann' });
      const after = parse(schemas.Conversation, (await call(s, `/conversations/${captured.id}`)).json);
      assert.equal(after.statistics?.count_conversation_parts, 561);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
