/**
 * The export activities (src/activities/export/intercomReads.ts) run for real against the Intercom sandbox, with
 * a local blob store: complete and checksummed output, resumption from heartbeats after a crash, the
 * companies scroll, rate limits and faults, and the delta export of the parallel run.
 */
import assert from 'node:assert/strict';
import type { EntityExportResult, ExportEntityName } from '../src/activities/contract.js';
import { createExportActivities } from '../src/activities/export/intercomReads.js';
import type { Company, Contact, Conversation } from '../src/clients/intercom/schemas.js';
import { intercomBaseUrl, migrationInputSchema } from '../src/config.js';
import { FaultInjector } from '../src/sandbox/faults.js';
import {
  assertExactlyOnce,
  crashAtHeartbeat,
  EVERY_EXPORT_ENTITY,
  type IntercomHarness,
  newDeps,
  readVerifiedManifest,
  routeCount,
  runAttempt,
  SimulatedCrash,
  startIntercomHarness,
} from './helpers/intercomHarness.js';

/** Part types the Intercom documentation lists; the generator also makes others. */
const DOCUMENTED_PART_TYPES = new Set([
  'comment',
  'note',
  'assignment',
  'open',
  'close',
  'snoozed',
  'timer_unsnooze',
  'away_mode_assignment',
]);

describe('Intercom export activities against the sandbox', function () {
  this.timeout(60_000);
  let harness: IntercomHarness | undefined;

  afterEach(async () => {
    if (harness)
      assert.equal(harness.sandbox.stats.withoutVersionHeader, 0, 'a request lacked Intercom-Version');
    await harness?.close();
    harness = undefined;
  });

  it('exports every entity with the dataset counts, checksummed manifests, string ids and unknown part types', async () => {
    harness = await startIntercomHarness({
      workspace: { seed: 11, conversations: 24, longConversations: 1, companies: 7, contacts: 14 },
      sandbox: { scrollPageSize: 3 },
      input: { export: { pageSize: 10 } },
    });
    const { dataset, input } = harness;
    const deps = newDeps();
    const { exportEntity } = createExportActivities(deps);
    const results = new Map<ExportEntityName, EntityExportResult>();
    for (const entity of EVERY_EXPORT_ENTITY) {
      results.set(entity, await runAttempt(() => exportEntity({ input }, entity)));
    }
    const store = deps.store(input);
    const exported = async <T extends { id?: unknown }>(entity: ExportEntityName) => {
      const result = results.get(entity);
      assert.ok(result);
      const { manifest, records } = await readVerifiedManifest<T>(store, result.manifestKey);
      assert.equal(manifest.complete, true, `${entity} manifest complete`);
      assert.equal(result.count, records.length, `${entity} result count`);
      for (const record of records) {
        if (record.id !== undefined) assert.equal(typeof record.id, 'string', `${entity} id ${record.id}`);
      }
      return { manifest, records };
    };
    const ids = (records: { id?: unknown }[]) => records.map((record) => String(record.id));

    const contacts = (await exported<Contact>('contacts')).records;
    assertExactlyOnce(
      ids(contacts),
      dataset.contacts.map((c) => c.id),
      'contacts',
    );
    assert.deepEqual(new Set(contacts.map((c) => c.role)), new Set(['user', 'lead']));
    const companies = await exported<Company>('companies');
    assertExactlyOnce(
      ids(companies.records),
      dataset.companies.map((c) => c.id),
      'companies',
    );
    assert.ok(companies.manifest.chunks.length >= 3, 'companies came over several scroll pages');
    for (const [entity, expected] of [
      ['tags', dataset.tags],
      ['teams', dataset.teams],
      ['admins', dataset.admins],
      ['macros', dataset.macros],
      ['collections', dataset.collections],
      ['articles', dataset.articles],
    ] as const) {
      assertExactlyOnce(
        ids((await exported(entity)).records),
        expected.map((item) => item.id),
        entity,
      );
    }
    const attributes = (
      await exported<{ id?: unknown; model?: string | null; name: string }>('dataAttributes')
    ).records;
    const attributeKeys = (list: readonly { model?: string | null; name: string }[]) =>
      list.map((a) => `${a.model}/${a.name}`).sort();
    assert.deepEqual(attributeKeys(attributes), attributeKeys(dataset.dataAttributes));
    assert.ok(
      attributes.some((a) => a.model === 'conversation'),
      'conversation attributes exported',
    );

    const conversations = await exported<Conversation>('conversations');
    assertExactlyOnce(
      ids(conversations.records),
      dataset.conversations.map((c) => c.id),
      'conversations',
    );
    const source = new Map(dataset.conversations.map((c) => [c.id, c]));
    const seenPartTypes = new Set<string>();
    for (const conversation of conversations.records) {
      const parts = conversation.conversation_parts?.conversation_parts ?? [];
      const original = source.get(conversation.id)?.conversation_parts?.conversation_parts ?? [];
      // The API returns the most recent parts, at most 500, with their types as they are.
      const expected = original.slice(-500);
      assert.deepEqual(
        parts.map((p) => [p.id, p.part_type]),
        expected.map((p) => [p.id, p.part_type]),
        `parts of conversation ${conversation.id}`,
      );
      for (const part of parts) {
        assert.equal(typeof part.id, 'string');
        seenPartTypes.add(part.part_type);
      }
      assert.equal(typeof conversation.source.id, 'string');
    }
    assert.ok(
      [...seenPartTypes].some((type) => !DOCUMENTED_PART_TYPES.has(type)),
      `an undocumented part type is kept (saw ${[...seenPartTypes].join(', ')})`,
    );
    const long = dataset.conversations.filter(
      (c) => (c.conversation_parts?.conversation_parts.length ?? 0) > 500,
    );
    assert.equal(long.length, 1);
    assert.deepEqual(conversations.manifest.truncated, [
      {
        conversationId: long[0]?.id,
        returnedParts: 500,
        totalParts: long[0]?.conversation_parts?.conversation_parts.length,
      },
    ]);
    assert.equal(results.get('conversations')?.truncated, 1);
  });

  it('resumes paged exports from the last heartbeat after a crash: nothing lost, doubled or fetched again', async () => {
    harness = await startIntercomHarness({
      workspace: { seed: 12, conversations: 25, contacts: 15, longConversations: 0 },
      input: { export: { pageSize: 5 } },
    });
    const { sandbox, dataset, input } = harness;

    // The crash comes with the third chunk's heartbeat, which never reaches the server: the retry
    // starts from the second one, so one page is read again and its chunk rewritten.
    const first = createExportActivities(newDeps());
    const conversationDetails = await crashAtHeartbeat(() => first.exportConversations({ input }), 3);
    const before = { ...sandbox.stats.byRoute };
    const second = createExportActivities(newDeps());
    const result = await runAttempt(() => second.exportConversations({ input }), {
      attempt: 2,
      heartbeatDetails: conversationDetails,
    });
    const fetchedAgain = (route: string) => routeCount(sandbox, route) - (before[route] ?? 0);
    assert.equal(fetchedAgain('GET /conversations'), 3, 'pages 3 to 5 listed by the second attempt');
    assert.equal(fetchedAgain('GET /conversations/{id}'), 15, 'only conversations of pages 3 to 5 fetched');
    const { manifest, records } = await readVerifiedManifest<Conversation>(
      newDeps().store(input),
      result.manifestKey,
    );
    assert.equal(manifest.complete, true);
    assert.equal(manifest.chunks.length, 5);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id),
      'conversations',
    );

    const contactDetails = await crashAtHeartbeat(() => first.exportEntity({ input }, 'contacts'), 2);
    const contactsBefore = routeCount(sandbox, 'GET /contacts');
    const contacts = await runAttempt(() => second.exportEntity({ input }, 'contacts'), {
      attempt: 2,
      heartbeatDetails: contactDetails,
    });
    assert.equal(routeCount(sandbox, 'GET /contacts') - contactsBefore, 2, 'pages 2 and 3 of contacts');
    const exportedContacts = await readVerifiedManifest<Contact>(
      newDeps().store(input),
      contacts.manifestKey,
    );
    assertExactlyOnce(
      exportedContacts.records.map((c) => c.id),
      dataset.contacts.map((c) => c.id),
      'contacts',
    );
  });

  it('starts over when a resumed export finds its partial manifest gone', async () => {
    harness = await startIntercomHarness({
      workspace: { seed: 20, conversations: 15, longConversations: 0 },
      input: { export: { pageSize: 5 } },
    });
    const { sandbox, dataset, input } = harness;
    const delivered = await crashAtHeartbeat(
      () => createExportActivities(newDeps()).exportConversations({ input }),
      3,
    );
    const deps = newDeps();
    await deps.store(input).delete(`acct-${input.account}/export/conversations/manifest.json`);
    const listed = routeCount(sandbox, 'GET /conversations');
    const result = await runAttempt(() => createExportActivities(deps).exportConversations({ input }), {
      attempt: 2,
      heartbeatDetails: delivered,
    });
    assert.equal(routeCount(sandbox, 'GET /conversations') - listed, 3, 'every page listed again');
    const { records } = await readVerifiedManifest<Conversation>(deps.store(input), result.manifestKey);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id),
      'conversations',
    );
  });

  it('keeps a rehearsal limit across a resumed attempt', async () => {
    harness = await startIntercomHarness({
      workspace: { seed: 13, conversations: 25, longConversations: 0 },
      input: { export: { pageSize: 5 }, import: { limit: 12 } },
    });
    const { input } = harness;
    const delivered = await crashAtHeartbeat(
      () => createExportActivities(newDeps()).exportConversations({ input }),
      3,
    );
    const result = await runAttempt(() => createExportActivities(newDeps()).exportConversations({ input }), {
      attempt: 2,
      heartbeatDetails: delivered,
    });
    assert.equal(result.count, 12);
    const { records } = await readVerifiedManifest<Conversation>(newDeps().store(input), result.manifestKey);
    assert.equal(new Set(records.map((c) => c.id)).size, 12);
  });

  it('leaves out a conversation deleted between listing and fetching instead of failing', async () => {
    let onRequest: (() => void) | undefined;
    harness = await startIntercomHarness({
      workspace: { seed: 14, conversations: 12, longConversations: 0 },
      // The sandbox reads its clock as it takes each request: a hook into the moment between them.
      sandbox: {
        now: () => {
          onRequest?.();
          return Date.now();
        },
      },
      input: { export: { pageSize: 6 } },
    });
    const { sandbox, dataset, input } = harness;
    const listOrder = [...dataset.conversations].sort(
      (a, b) => b.updated_at - a.updated_at || Number(b.id) - Number(a.id),
    );
    // Fetched four at a time: the sixth of the first page is asked for only after the first arrived.
    const victim = listOrder[5]?.id as string;
    onRequest = () => {
      if (routeCount(sandbox, 'GET /conversations/{id}') >= 1) {
        onRequest = undefined;
        sandbox.deleteConversation(victim);
      }
    };
    const result = await runAttempt(() => createExportActivities(newDeps()).exportConversations({ input }));
    const { records } = await readVerifiedManifest<Conversation>(newDeps().store(input), result.manifestKey);
    assert.equal(onRequest, undefined, 'the conversation was deleted during the export');
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id),
      'conversations',
    );
    assert.ok(!records.some((c) => c.id === victim));
    assert.equal(records.length, 11);
  });

  it('restarts an expired companies scroll without duplicates', async () => {
    let clockShiftMs = 0;
    harness = await startIntercomHarness({
      workspace: { seed: 15, conversations: 2, companies: 7 },
      sandbox: { scrollPageSize: 2, now: () => Date.now() + clockShiftMs },
    });
    const { dataset, input } = harness;
    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportEntity({ input }, 'companies'), {
      // Two idle minutes after the first page: the scroll expires and answers 500.
      onHeartbeat: (_details, count) => {
        if (count === 1) clockShiftMs += 120_000;
      },
    });
    assert.equal(result.restarts, 1);
    const { records } = await readVerifiedManifest<Company>(deps.store(input), result.manifestKey);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.companies.map((c) => c.id),
      'companies',
    );
  });

  it('waits out a companies scroll left open by a crashed attempt', async () => {
    harness = await startIntercomHarness({
      workspace: { seed: 16, conversations: 2, companies: 7 },
      sandbox: { scrollPageSize: 2, scrollIdleMs: 400 },
    });
    const { sandbox, dataset, input } = harness;
    await assert.rejects(
      runAttempt(() => createExportActivities(newDeps()).exportEntity({ input }, 'companies'), {
        onHeartbeat: () => {
          throw new SimulatedCrash();
        },
      }),
      SimulatedCrash,
    );
    const scrollRequests = routeCount(sandbox, 'GET /companies/scroll');
    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportEntity({ input }, 'companies'), {
      attempt: 2,
    });
    // 7 companies in pages of 2, then the empty last page, after at least one "scroll_exists".
    assert.ok(routeCount(sandbox, 'GET /companies/scroll') - scrollRequests >= 6);
    const { records } = await readVerifiedManifest<Company>(deps.store(input), result.manifestKey);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.companies.map((c) => c.id),
      'companies',
    );
  });

  it('waits for the rate-limit window to reset instead of running into 429s', async () => {
    harness = await startIntercomHarness({
      workspace: { seed: 17, conversations: 20, longConversations: 0 },
      sandbox: { rateLimitPer10s: 16 },
      input: { export: { pageSize: 10 } },
    });
    const { sandbox, dataset, input } = harness;
    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportConversations({ input }));
    assert.equal(result.count, dataset.conversations.length);
    assert.ok(sandbox.stats.requests > 16, 'more requests than one window allows');
    assert.equal(sandbox.stats.rateLimited, 0, 'the client paused on X-RateLimit-Remaining/-Reset');
  });

  it('retries injected 429s and 5xx answers', async () => {
    // Requests are sequential here, so the seeded fault sequence is known in advance: pick a seed
    // that answers one 429 and at least two 5xx among the requests, never four failures in a row.
    const faults = { rate429: 0.15, rate5xx: 0.3, seed: 0 };
    const pagesNeeded = 4;
    for (let seed = 1; ; seed++) {
      const injector = new FaultInjector({ ...faults, seed });
      let ok = 0;
      let failuresInRow = 0;
      let worstRun = 0;
      while (ok < pagesNeeded) {
        const kind = injector.decide().kind;
        failuresInRow = kind === 'none' ? 0 : failuresInRow + 1;
        worstRun = Math.max(worstRun, failuresInRow);
        if (kind === 'none') ok++;
      }
      if (injector.counts.injected429 === 1 && injector.counts.injected5xx >= 2 && worstRun < 4) {
        faults.seed = seed;
        break;
      }
    }
    harness = await startIntercomHarness({
      // No notes: the fault sequence above is picked for exactly the contact pages' requests.
      workspace: { seed: 18, conversations: 2, contacts: 20, contactExtras: false },
      sandbox: { faults },
      input: { export: { pageSize: 5 } },
    });
    const { sandbox, dataset, input } = harness;
    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportEntity({ input }, 'contacts'));
    assert.equal(sandbox.faults.counts.injected429, 1);
    assert.ok(sandbox.faults.counts.injected5xx >= 2);
    const { records } = await readVerifiedManifest<Contact>(deps.store(input), result.manifestKey);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.contacts.map((c) => c.id),
      'contacts',
    );
  });

  it('exports the delta once per changed conversation despite cursor drift, with contacts and deletions', async () => {
    let clockMs = Math.floor(Date.now() / 1000) * 1000;
    harness = await startIntercomHarness({
      workspace: { seed: 19, conversations: 20, longConversations: 0 },
      sandbox: { now: () => clockMs },
      // One conversation a page, so an update while paging shifts the search cursor.
      input: { export: { pageSize: 1 } },
    });
    const { sandbox, dataset, input } = harness;
    const t = clockMs / 1000;
    const admin = dataset.admins[0];
    assert.ok(admin);
    const author = { type: 'admin', id: admin.id, name: admin.name ?? null, email: admin.email ?? null };
    const [a, b, c, deleted] = dataset.conversations.map((conversation) => conversation.id);
    assert.ok(a && b && c && deleted);
    for (const id of [a, b, c]) sandbox.replyToConversation(id, `<p>Any news on ${id}?</p>`, author);
    const added = sandbox.addConversation({ body: '<p>A new question</p>' }).id;
    sandbox.deleteConversation(deleted);
    const changed = [a, b, c, added];

    const deps = newDeps();
    const { exportDelta } = createExportActivities(deps);
    const since = t - 600;
    const until = t + 100;
    const fetchesBefore = routeCount(sandbox, 'GET /conversations/{id}');
    let drifted = false;
    const result = await runAttempt(() => exportDelta({ input, since, until, runKey: 'delta-00001' }), {
      onHeartbeat: () => {
        if (drifted) return;
        drifted = true;
        // The first conversation, already read, is updated again: it moves to the end of the
        // search order, shifting the rest under the cursor so one would be skipped.
        clockMs += 50_000;
        sandbox.replyToConversation(a, '<p>Still waiting</p>', author);
      },
    });
    assert.ok(drifted);
    assert.equal(result.highWater, until);
    assert.equal(result.count, changed.length);
    const store = deps.store(input);
    const delta = await readVerifiedManifest<Conversation>(store, result.manifestKey);
    assertExactlyOnce(
      delta.records.map((conversation) => conversation.id),
      changed,
      'delta conversations',
    );
    assert.equal(
      routeCount(sandbox, 'GET /conversations/{id}') - fetchesBefore,
      changed.length,
      'each changed conversation fetched once',
    );
    const expectedContacts = delta.records.flatMap((conversation) =>
      (conversation.contacts?.contacts ?? []).map((contact) => contact.id),
    );
    const contacts = await readVerifiedManifest<Contact>(store, result.contactsManifestKey);
    assertExactlyOnce(
      contacts.records.map((contact) => contact.id),
      expectedContacts,
      'delta contacts',
    );
    assert.equal(result.deletedCount, 1);
    const deletedIds = (await store.get(`acct-${input.account}/delta/delta-00001/deleted.jsonl`))
      ?.toString('utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    assert.deepEqual(deletedIds, [deleted]);

    // The next run's window overlaps this one, so the reply made while this run paged is picked up.
    const next = await runAttempt(() =>
      exportDelta({ input, since: until - 600, until: until + 100, runKey: 'delta-00002' }),
    );
    const again = await readVerifiedManifest<Conversation>(store, next.manifestKey);
    assertExactlyOnce(
      again.records.map((conversation) => conversation.id),
      changed,
      'second delta conversations',
    );
    const latestA = again.records.find((conversation) => conversation.id === a);
    assert.match(
      latestA?.conversation_parts?.conversation_parts.at(-1)?.body ?? '',
      /Still waiting/,
      'the overlap brings the update made during the previous run',
    );
  });
});

describe('Intercom regional hosts', () => {
  it('maps us, eu and au to their API hosts, and a base URL overrides the region', () => {
    const hostOf = (intercom: Record<string, string>) =>
      intercomBaseUrl(
        migrationInputSchema().parse({ account: 1, chatwoot: { baseUrl: 'http://chatwoot.test' }, intercom })
          .intercom,
      );
    assert.equal(hostOf({}), 'https://api.intercom.io');
    assert.equal(hostOf({ region: 'us' }), 'https://api.intercom.io');
    assert.equal(hostOf({ region: 'eu' }), 'https://api.eu.intercom.io');
    assert.equal(hostOf({ region: 'au' }), 'https://api.au.intercom.io');
    assert.equal(hostOf({ region: 'eu', baseUrl: 'http://127.0.0.1:4010' }), 'http://127.0.0.1:4010');
    assert.throws(() => hostOf({ region: 'ca' }));
  });
});
