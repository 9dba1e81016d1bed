/**
 * A whole migration of a workspace holding what Chatwoot 4.10 refuses as it is (the generator's
 * validationEdgeCases): tags "A", "_internal", an emoji-only tag and two tags equal once slugged, a
 * 3,000-character rating remark, a 2,500-character conversation custom attribute, and tickets with an
 * integer attribute above 9,999,999,999 and a 2,000-character string attribute. The Chatwoot
 * sandbox validates label titles (label.rb) and conversation attributes
 * (jsonb_attributes_length_validator.rb) as Chatwoot does, so the migration completes only if every
 * write is valid.
 */
import assert from 'node:assert/strict';
import type { ReconciliationReport } from '../src/activities/verification/chatwootWrites.js';
import {
  BIG_TICKET_INTEGER,
  EDGE_CASE_TAG_NAMES,
  LONG_CUSTOM_ATTRIBUTE,
  LONG_CUSTOM_ATTRIBUTE_CHARACTERS,
  LONG_REMARK_CHARACTERS,
  LONG_TICKET_ATTRIBUTE_CHARACTERS,
} from '../src/sandbox/intercom/generator/edgeCases.js';
import { generateWorkspace } from '../src/sandbox/intercom/generator.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import { getJson } from '../src/storage/blobStore.js';
import { createBlobStore } from '../src/storage/index.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

/** lib/regex_helper.rb's `\A[\p{L}\p{N}]+[\p{L}\p{N}_-]+\Z`, translated (\Z: end, or before a final "\n"). */
const RUBY_LABEL_TITLE = /^[\p{L}\p{N}]+[\p{L}\p{N}_-]+(?=\n?$)/u;
const lettersOf = (text: string) => text.replace(/[^\p{L}\p{N}]+/gu, '');

describe('the generator option validationEdgeCases', () => {
  const options = { seed: 23, conversations: 40, partsPerConversation: 4 };
  const data = (validationEdgeCases: boolean) => {
    const workspace = generateWorkspace({ ...options, validationEdgeCases });
    return JSON.parse(JSON.stringify({ ...workspace, readAttachment: undefined }));
  };

  it('is deterministic for a seed, and changes nothing else in the workspace', () => {
    const withCases = data(true);
    assert.deepEqual(data(true), withCases);
    const without = data(false);
    assert.deepEqual(
      withCases.tags.map((tag: { name: string }) => tag.name),
      [...without.tags.map((tag: { name: string }) => tag.name), ...EDGE_CASE_TAG_NAMES],
    );
    const changed = withCases.conversations
      .map((conversation: unknown, i: number) => ({ conversation, i }))
      .filter(({ conversation, i }: { conversation: unknown; i: number }) => {
        return JSON.stringify(conversation) !== JSON.stringify(without.conversations[i]);
      })
      .map(({ i }: { i: number }) => i);
    assert.equal(withCases.conversations.length, without.conversations.length);
    assert.ok(changed.length >= 1 && changed.length <= 2, `changed: ${changed}`);
    const changedTickets = withCases.tickets.filter(
      (ticket: unknown, i: number) => JSON.stringify(ticket) !== JSON.stringify(without.tickets[i]),
    );
    assert.equal(withCases.tickets.length, without.tickets.length);
    assert.equal(changedTickets.length, 2, 'one big integer, one long string');
    assert.deepEqual(
      { ...withCases, conversations: [], tags: [], tickets: [] },
      { ...without, conversations: [], tags: [], tickets: [] },
    );
  });

  it('puts the awkward tags on the first conversation and the long values on a rated one', () => {
    const workspace = generateWorkspace({ ...options, validationEdgeCases: true });
    const names = (workspace.conversations[0].tags?.tags ?? []).map((tag) => tag.name);
    for (const name of EDGE_CASE_TAG_NAMES) assert.ok(names.includes(name));
    const rated = workspace.conversations.find(
      (c) => Array.from(c.conversation_rating?.remark ?? '').length === LONG_REMARK_CHARACTERS,
    );
    assert.ok(rated);
    const custom = rated.custom_attributes?.[LONG_CUSTOM_ATTRIBUTE] as string;
    assert.equal(Array.from(custom).length, LONG_CUSTOM_ATTRIBUTE_CHARACTERS);
    const remark = rated.conversation_rating?.remark ?? '';
    assert.equal(remark, remark.trim());
  });
});

describe('a migration of tags and attributes Chatwoot refuses as they are', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let scenario: Scenario;
  let result: MigrationResult;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 23,
        conversations: 12,
        partsPerConversation: 4,
        attachmentEvery: 0,
        inlineImageEvery: 0,
        validationEdgeCases: true,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
    scenario = rig.scenario;
    const handle = await rig.start(rig.input());
    result = (await handle.result()) as MigrationResult;
  });

  after(() => rig?.close());

  const dataset = () => scenario.intercom.dataset;
  const account = () => scenario.chatwoot.dump().accounts[0];
  const migrated = (intercomId: string) =>
    account().conversations.find((c) => c.custom_attributes.intercom_conversation_id === intercomId);
  const rated = () =>
    dataset().conversations.find((c) => (c.conversation_rating?.remark ?? '').length >= 3_000);

  it('completes, with everything in Chatwoot exactly once', () => {
    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(result.reconciliation.missing, 0);
    assert.equal(result.reconciliation.messages.found, summary.messages.found);
    assert.ok(result.rolloutFinished);
  });

  it('gives every tag a valid label, the awkward ones included, on the conversations that carry them', () => {
    const titles = account().labels.map((label) => label.title);
    for (const title of titles) assert.match(title, RUBY_LABEL_TITLE);
    for (const expected of ['tag--a', 'internal', 'needs-reply', 'from_intercom']) {
      assert.ok(titles.includes(expected), `label ${expected} in ${titles.join(', ')}`);
    }
    assert.ok(
      titles.some((title) => /^tag--[0-9a-f]{8}$/.test(title)),
      'the emoji-only tag has a label',
    );
    assert.equal(titles.length, new Set(titles).size);

    const tagged = dataset().conversations[0];
    const names = (tagged.tags?.tags ?? []).map((tag) => tag.name);
    for (const name of EDGE_CASE_TAG_NAMES) assert.ok(names.includes(name));
    const labels = migrated(tagged.id)?.labels ?? [];
    for (const label of labels) assert.ok(titles.includes(label), `${label} is a label of the account`);
    for (const expected of ['tag--a', 'internal', 'needs-reply', 'from_intercom']) {
      assert.ok(labels.includes(expected), `conversation label ${expected} in ${labels.join(', ')}`);
    }
  });

  it('cuts the long remark to fit and keeps it whole in a private note; the nested custom attribute whole', () => {
    const source = rated();
    assert.ok(source, 'the workspace has a 3,000-character remark');
    const remark = source.conversation_rating?.remark ?? '';
    const target = migrated(source.id);
    assert.ok(target);
    const kept = target.additional_attributes.intercom_rating_remark as string;
    assert.ok(Array.from(kept).length <= 1_500);
    assert.ok(kept.endsWith('…'));
    assert.ok(remark.startsWith(kept.slice(0, -1)));

    const notes = target.messages.filter((m) => m.source_id?.startsWith(`attributes:${source.id}`));
    assert.ok(notes.length >= 1);
    assert.ok(notes.every((note) => note.private));
    assert.ok(lettersOf(notes.map((note) => note.content ?? '').join('')).includes(lettersOf(remark)));

    const custom = target.additional_attributes.intercom_custom_attributes as Record<string, unknown>;
    assert.equal(custom[LONG_CUSTOM_ATTRIBUTE], source.custom_attributes?.[LONG_CUSTOM_ATTRIBUTE]);
  });

  it('reports the tag -> label table with its merges, and the cut attribute without its text', async () => {
    const store = createBlobStore(rig.blobStoreUrl);
    const report = await getJson<ReconciliationReport>(store, result.reconciliation.reportKey);
    assert.ok(report);
    const titleOf = new Map(report.labels.flatMap((label) => label.tags.map((tag) => [tag, label.title])));
    for (const name of EDGE_CASE_TAG_NAMES) assert.ok(titleOf.has(name), `tag ${name} in the report`);
    // The tags of the export, not the one the cut-over added in Intercom since.
    for (const name of titleOf.keys())
      assert.ok(
        dataset().tags.some((tag) => tag.name === name),
        name,
      );
    assert.equal(titleOf.get('A'), 'tag--a');
    assert.equal(titleOf.get('_internal'), 'internal');
    assert.deepEqual(
      report.labelMerges.find((merge) => merge.title === 'needs-reply'),
      { title: 'needs-reply', tags: ['Needs reply', 'needs-reply'] },
    );
    const source = rated();
    assert.deepEqual(report.attributeAdjustments, [
      {
        conversationId: source?.id,
        attribute: 'additional_attributes',
        key: 'intercom_rating_remark',
        change: 'truncated',
        originalLength: 3_000,
      },
    ]);
    const markdownKey = result.reconciliation.reportKey.replace(/\.json$/, '.md');
    const markdown = (await store.get(markdownKey))?.toString('utf8') ?? '';
    assert.match(markdown, /## Intercom tags and their Chatwoot labels/);
    assert.match(markdown, /\| `_internal` \| `internal` \|/);
    assert.match(markdown, /`needs-reply` <- `Needs reply`, `needs-reply`/);
    assert.match(
      markdown,
      new RegExp(`${source?.id}: additional_attributes.intercom_rating_remark, 3000 characters`),
    );
    // Never the value itself.
    const opening = (source?.conversation_rating?.remark ?? '').slice(0, 60);
    assert.ok(!markdown.includes(opening) && !JSON.stringify(report).includes(opening));
  });
  it('stores the big ticket integer as a string and cuts the long ticket attribute; both whole in the opening note and listed in the report', async () => {
    const tickets = dataset().tickets ?? [];
    const big = tickets.find((t) => t.ticket_attributes?.['Affected users'] === BIG_TICKET_INTEGER);
    const long = tickets.find(
      (t) =>
        Array.from(String(t.ticket_attributes?.['Internal reason'] ?? '')).length ===
        LONG_TICKET_ATTRIBUTE_CHARACTERS,
    );
    assert.ok(big && long, 'the workspace has both ticket edge cases');
    const ticketConversation = (id: string) =>
      account().conversations.find((c) => c.custom_attributes.intercom_ticket_id === id);

    const bigTarget = ticketConversation(big.id);
    assert.ok(bigTarget);
    const stored = Object.entries(bigTarget.custom_attributes).find(
      ([, v]) => v === String(BIG_TICKET_INTEGER),
    );
    assert.ok(stored, 'the integer is kept, as its decimal string');
    const longTarget = ticketConversation(long.id);
    assert.ok(longTarget);
    const reason = String(long.ticket_attributes?.['Internal reason']);
    const cut = Object.values(longTarget.custom_attributes).find(
      (v) => typeof v === 'string' && v.endsWith('…') && reason.startsWith(v.slice(0, -1)),
    ) as string | undefined;
    assert.ok(cut && Array.from(cut).length <= 1_500, 'the long attribute is cut to fit');

    const opening = (target: typeof bigTarget, ticketId: string) =>
      target.messages.find((m) => m.source_id === `source:ticket-${ticketId}`);
    const bigNote = opening(bigTarget, big.id);
    assert.ok(bigNote?.private && (bigNote.content ?? '').includes(String(BIG_TICKET_INTEGER)));
    const longNote = opening(longTarget, long.id);
    assert.ok(longNote?.private);
    assert.ok(lettersOf(longNote.content ?? '').includes(lettersOf(reason)), 'the full text in the note');

    const store = createBlobStore(rig.blobStoreUrl);
    const report = await getJson<ReconciliationReport>(store, result.reconciliation.reportKey);
    const adjustments = report?.tickets?.attributeAdjustments ?? [];
    assert.deepEqual(
      adjustments.map(({ ticketId, attribute, change, originalLength }) => ({
        ticketId,
        attribute,
        change,
        originalLength,
      })),
      [
        { ticketId: big.id, attribute: 'custom_attributes', change: 'stringified', originalLength: 11 },
        {
          ticketId: long.id,
          attribute: 'custom_attributes',
          change: 'truncated',
          originalLength: LONG_TICKET_ATTRIBUTE_CHARACTERS,
        },
      ].sort((a, b) => (a.ticketId < b.ticketId ? -1 : 1)),
    );
    const markdown =
      (await store.get(result.reconciliation.reportKey.replace(/\.json$/, '.md')))?.toString('utf8') ?? '';
    assert.match(markdown, /### Ticket attributes changed to fit Chatwoot \(2\)/);
    assert.match(markdown, new RegExp(`ticket ${big.id}: custom_attributes\\.\\S+, an integer of 11 digits`));
    assert.ok(!markdown.includes(reason.slice(0, 60)), 'never the value itself');
  });
});
