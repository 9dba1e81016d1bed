/**
 * Every answer Intercom's API description (2.16) allows is exported, and mapped to something sensible.
 * A tiny server answers every read of the export and the delta sync with answers built from the
 * description's own shapes (test/fixtures/intercom-2.16-shapes.json, by scripts/extract-intercom-shapes.ts;
 * test/helpers/specInstances.ts builds them): every nullable field null and every other field absent,
 * every nullable field null and the rest present, or everything present. The real export activities
 * run on them in a mocked activity context; nothing the description allows may be set aside or stop a
 * phase. Only a conversation that breaks the description (a part's created_at in words) is set aside.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeltaExportResult, ExportEntityName } from '../src/activities/contract.js';
import { createExportActivities } from '../src/activities/export/intercomReads.js';
import type { EntityManifest } from '../src/activities/manifests.js';
import type {
  Article,
  Collection,
  Contact,
  Conversation,
  DataAttribute,
  Macro,
  Tag,
  Team,
} from '../src/clients/intercom/schemas.js';
import {
  articlePayload,
  categoryPayload,
  contactPayload,
  conversationAdditionalAttributes,
  conversationCustomAttributes,
  labelTitle,
  mapConversationStatus,
  planMessages,
} from '../src/mapping/index.js';
import { createBlobStore } from '../src/storage/index.js';
import {
  EVERY_EXPORT_ENTITY,
  newDeps,
  parseInput,
  readVerifiedManifest,
  runAttempt,
} from './helpers/intercomHarness.js';
import { type Form, loadShapes, SpecInstances } from './helpers/specInstances.js';

/** Present even where every optional field is absent: list items, and the ids objects are fetched by. */
const KEEP = new Set([
  'contact_list.data',
  'conversation_list.conversations',
  'company_scroll.data',
  'tag_list.data',
  'team_list.teams',
  'admin_list.admins',
  'macro_list.data',
  'data_attribute_list.data',
  'conversation_attribute_list.data',
  'collection_list.data',
  'article_list.data',
  'deleted_conversation_list.conversations',
  'conversation.conversation_parts',
  'conversation_parts.conversation_parts',
  'note_list.data',
  'contact_attached_companies.companies',
  ...[
    'contact',
    'conversation',
    'conversation_list_item',
    'conversation_part',
    'company',
    'tag',
    'team',
    'admin',
    'macro',
    'collection',
    'article_list_item',
    'deleted_conversation_item',
    'note',
  ].map((name) => `${name}.id`),
]);

/** A conversation the list names whose answer breaks the description: it alone may be set aside. */
const BROKEN_ID = '999999';

interface Served {
  /** Non-null items of each list, by the entity the export writes them to. */
  items: Map<string, string[]>;
  requests: string[];
}

type Route = (url: URL, body: unknown) => unknown;

/** The answers of every endpoint the export reads, in one form (a cursor's next page: 'absent'). */
function routes(instances: SpecInstances, form: Form, served: Served): [RegExp, string, Route][] {
  const listed = (entity: string, answer: unknown, key: string) => {
    const list = ((answer as Record<string, unknown> | null)?.[key] ?? []) as ({ id?: string } | null)[];
    const ids = served.items.get(entity) ?? [];
    for (const item of list) if (item) ids.push(item.id ?? '(no id)');
    served.items.set(entity, ids);
    return answer;
  };
  const cursorList = (endpoint: string, entity: string, key: string) => (url: URL, body: unknown) => {
    const after =
      url.searchParams.get('starting_after') ??
      (body as { pagination?: { starting_after?: string } } | undefined)?.pagination?.starting_after;
    const answer = instances.answer(endpoint, after ? 'absent' : form) as Record<string, unknown>;
    if (entity === 'conversations' && !after) {
      (answer.conversations as unknown[]).push({ id: BROKEN_ID });
    }
    return listed(entity, answer, key);
  };
  const conversation = (url: URL) => {
    const id = decodeURIComponent(url.pathname.split('/').pop() as string);
    const answer = instances.answer('GET /conversations/{conversation_id}', form) as Record<string, unknown>;
    answer.id = id;
    if (id === BROKEN_ID) {
      const parts = (answer.conversation_parts as { conversation_parts: Record<string, unknown>[] })
        .conversation_parts;
      (parts[0] as Record<string, unknown>).created_at = 'yesterday';
    }
    return answer;
  };
  return [
    [/^\/contacts$/, 'GET', cursorList('GET /contacts', 'contacts', 'data')],
    [/^\/contacts\/[^/]+\/notes$/, 'GET', () => instances.answer('GET /contacts/{contact_id}/notes', form)],
    [
      /^\/contacts\/[^/]+\/companies$/,
      'GET',
      () => instances.answer('GET /contacts/{contact_id}/companies', form),
    ],
    [/^\/contacts\/[^/]+\/tags$/, 'GET', () => instances.answer('GET /contacts/{contact_id}/tags', form)],
    [
      /^\/contacts\/[^/]+$/,
      'GET',
      (url) => ({
        ...(instances.answer('GET /contacts/{contact_id}', form) as object),
        id: url.pathname.split('/')[2],
      }),
    ],
    [/^\/conversations$/, 'GET', cursorList('GET /conversations', 'conversations', 'conversations')],
    [
      /^\/conversations\/search$/,
      'POST',
      cursorList('POST /conversations/search', 'search', 'conversations'),
    ],
    [
      /^\/conversations\/attributes$/,
      'GET',
      () => listed('attributes', instances.answer('GET /conversations/attributes', form), 'data'),
    ],
    [/^\/conversations\/deleted$/, 'GET', () => instances.answer('GET /conversations/deleted', form)],
    [/^\/conversations\/[^/]+$/, 'GET', conversation],
    [
      /^\/companies\/scroll$/,
      'GET',
      // company_scroll is nullable: the scroll's next answer is null.
      (url) =>
        url.searchParams.get('scroll_param')
          ? null
          : listed('companies', instances.answer('GET /companies/scroll', form), 'data'),
    ],
    [/^\/tags$/, 'GET', () => listed('tags', instances.answer('GET /tags', form), 'data')],
    [/^\/teams$/, 'GET', () => listed('teams', instances.answer('GET /teams', form), 'teams')],
    [/^\/admins$/, 'GET', () => listed('admins', instances.answer('GET /admins', form), 'admins')],
    [/^\/macros$/, 'GET', cursorList('GET /macros', 'macros', 'data')],
    [
      /^\/data_attributes$/,
      'GET',
      () => listed('attributes', instances.answer('GET /data_attributes', form), 'data'),
    ],
    [
      /^\/help_center\/collections$/,
      'GET',
      () => listed('collections', instances.answer('GET /help_center/collections', form), 'data'),
    ],
    [/^\/articles$/, 'GET', () => listed('articles', instances.answer('GET /articles', form), 'data')],
  ];
}

async function startSpecServer(form: Form): Promise<{ url: string; served: Served; close(): Promise<void> }> {
  const instances = new SpecInstances(loadShapes(), KEEP);
  const served: Served = { items: new Map(), requests: [] };
  const table = routes(instances, form, served);
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      served.requests.push(`${request.method} ${url.pathname}${url.search}`);
      const text = Buffer.concat(chunks).toString('utf8');
      const route = table.find(
        ([pattern, method]) => method === request.method && pattern.test(url.pathname),
      );
      if (!route) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ type: 'error.list', errors: [{ code: 'not_found', message: url.pathname }] }),
        );
        return;
      }
      const answer = route[2](url, text ? JSON.parse(text) : undefined);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const form of ['absent', 'nulls', 'full'] as const) {
  const title = {
    absent: 'every nullable field null, every other field absent',
    nulls: 'every nullable field null, every other field present',
    full: 'every field present',
  }[form];

  describe(`the export on answers shaped by the API description: ${title}`, function () {
    this.timeout(60_000);
    let server: Awaited<ReturnType<typeof startSpecServer>>;
    let workDir: string;
    const manifests = new Map<ExportEntityName, string>();
    const records = new Map<ExportEntityName, unknown[]>();
    let rejected: EntityManifest['rejected'] = [];
    let delta: DeltaExportResult | undefined;

    before(async () => {
      server = await startSpecServer(form);
      workDir = await mkdtemp(join(tmpdir(), 'i2c-spec-shapes-'));
      const input = parseInput({
        account: 7,
        intercom: { baseUrl: server.url },
        chatwoot: { baseUrl: 'http://127.0.0.1:9' },
        blobStoreUrl: `file://${join(workDir, 'blobs')}`,
      });
      const activities = createExportActivities(newDeps());
      const store = createBlobStore(input.blobStoreUrl);
      for (const entity of EVERY_EXPORT_ENTITY) {
        const result = await runAttempt(() => activities.exportEntity({ input }, entity));
        manifests.set(entity, result.manifestKey);
        const read = await readVerifiedManifest<unknown>(store, result.manifestKey);
        records.set(entity, read.records);
        if (entity === 'conversations') rejected = read.manifest.rejected ?? [];
      }
      delta = await runAttempt(() =>
        activities.exportDelta({ input, since: 0, until: 2_000_000_000, runKey: 'delta-00001' }),
      );
    });

    after(async () => {
      await server?.close();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    const ids = (entity: ExportEntityName) =>
      (records.get(entity) as { id: string }[]).map((record) => record.id);

    it('exports every item of every list, and sets aside only the answer that breaks the description', () => {
      const expect = (entity: ExportEntityName, servedAs = entity as string) => {
        const served = server.served.items.get(servedAs) ?? [];
        const wanted = entity === 'conversations' ? served.filter((id) => id !== BROKEN_ID) : served;
        assert.ok(wanted.length > 0, `${entity}: the server listed some`);
        assert.deepEqual(ids(entity), wanted, `${entity} exported`);
      };
      for (const entity of [
        'contacts',
        'companies',
        'tags',
        'teams',
        'admins',
        'macros',
        'collections',
        'articles',
      ] as const)
        expect(entity);
      expect('conversations');
      assert.equal(records.get('dataAttributes')?.length, server.served.items.get('attributes')?.length);
      assert.deepEqual(
        rejected?.map((entry) => entry.conversationId),
        [BROKEN_ID],
        'only the conversation whose part time is in words',
      );
      assert.match(rejected?.[0]?.reason ?? '', /conversation_parts\.conversation_parts\.0\.created_at/);
    });

    it('runs the delta sync on the search, the contacts it names and the deleted list', () => {
      const searched = (server.served.items.get('search') ?? []).filter((id) => id !== BROKEN_ID);
      assert.equal(delta?.count, searched.length);
      assert.equal(delta?.rejected, 0);
    });

    it('maps what it exported to something Chatwoot takes', () => {
      for (const conversation of records.get('conversations') as Conversation[]) {
        assert.equal(typeof conversation.created_at, 'number');
        const plan = planMessages(conversation, { activityParts: 'activity', timestampLine: true });
        const sourceIds = plan.map((message) => message.sourceId);
        assert.equal(new Set(sourceIds).size, sourceIds.length, 'source ids are unique');
        const partIds = new Set(
          (conversation.conversation_parts?.conversation_parts ?? []).map((part) => part.id),
        );
        for (const message of plan) {
          assert.ok(
            !message.sourceId.includes('null') && !message.sourceId.includes('undefined'),
            message.sourceId,
          );
          assert.ok(message.authorName.trim(), 'every message has an author name');
          assert.equal(typeof message.externalCreatedAt, 'number');
        }
        const opening = plan.find((message) => message.partType === 'source');
        if (opening) {
          const expected = conversation.source.id
            ? `source:${conversation.source.id}`
            : `source:conversation-${conversation.id}`;
          assert.equal(opening.sourceId, expected);
          assert.ok(!partIds.has(opening.sourceId));
        }
        const again = planMessages(structuredClone(conversation), {
          activityParts: 'activity',
          timestampLine: true,
        });
        assert.deepEqual(
          again.map((m) => m.sourceId),
          sourceIds,
          'the same source ids on every run',
        );
        assert.ok(['open', 'resolved', 'snoozed'].includes(mapConversationStatus(conversation.state)));
        const custom = conversationCustomAttributes(conversation);
        assert.equal(custom.intercom_conversation_id, conversation.id);
        assert.equal(typeof conversationAdditionalAttributes(conversation).intercom_state, 'string');
      }
      for (const contact of records.get('contacts') as Contact[]) {
        const payload = contactPayload(contact);
        assert.ok(payload.name.trim() && !payload.name.includes('  '), `contact name: ${payload.name}`);
      }
      for (const article of records.get('articles') as Article[])
        assert.ok(articlePayload(article).title.trim());
      for (const collection of records.get('collections') as Collection[])
        assert.ok(categoryPayload(collection).name.trim());
      for (const tag of records.get('tags') as Tag[]) assert.equal(typeof labelTitle(tag.name), 'string');
      for (const team of records.get('teams') as Team[]) assert.ok(Array.isArray(team.admin_ids));
      for (const macro of records.get('macros') as Macro[]) assert.equal(typeof macro.name, 'string');
      for (const attribute of records.get('dataAttributes') as DataAttribute[])
        assert.equal(typeof attribute.data_type, 'string');
    });
  });
}
