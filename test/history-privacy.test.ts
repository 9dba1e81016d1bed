/**
 * Workflows pass references, never personal data or secrets: a real migration (without the payload
 * codec, so everything is readable) is run on the local Temporal server, then every payload, failure
 * message and string of every workflow execution it created is searched for e-mail addresses, the
 * customers' and agents' names, message text and the tokens. The recorded histories under
 * test/histories/ get the same search.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { generateWorkspace, type IntercomDataset } from '../src/sandbox/intercom/index.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';
import { repoRoot } from './helpers/temporal.js';

/** Something a history holds as text, with where it sits. */
interface Found {
  where: string;
  text: string;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
/** Keys whose values are not data: the worker identity is "pid@host", which may look like an address. */
const NOT_DATA = new Set(['identity']);

function decodeBase64Text(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Every readable text of a history in its JSON form (as `temporal workflow show --output json` and
 * historyToJSON write it): payload data and metadata decoded from base64, and every other string.
 */
function textsOf(value: unknown, where: string, found: Found[]): void {
  if (typeof value === 'string') {
    found.push({ where, text: value });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      textsOf(item, `${where}[${index}]`, found);
    });
    return;
  }
  const record = value as Record<string, unknown>;
  const isPayload =
    typeof record.metadata === 'object' && record.metadata !== null && typeof record.data === 'string';
  for (const [name, child] of Object.entries(record)) {
    if (NOT_DATA.has(name)) continue;
    if (isPayload && name === 'data' && typeof child === 'string') {
      found.push({ where: `${where}.data`, text: decodeBase64Text(child) });
    } else if (isPayload && name === 'metadata') {
      for (const [key, encoded] of Object.entries(child as Record<string, unknown>)) {
        if (typeof encoded === 'string')
          found.push({ where: `${where}.metadata.${key}`, text: decodeBase64Text(encoded) });
      }
    } else {
      textsOf(child, `${where}.${name}`, found);
    }
  }
}

function eventLabel(history: unknown, where: string): string {
  const index = /^events\[(\d+)\]/.exec(where)?.[1];
  const events = (history as { events?: { eventId?: string; eventType?: string }[] }).events ?? [];
  const event = index === undefined ? undefined : events[Number(index)];
  return event ? `event ${event.eventId} ${event.eventType}` : '';
}

/** Distinctive pieces of message text: what lies between tags and entities, long enough not to be generic. */
function bodyPieces(html: string): string[] {
  return html
    .replace(/<[^>]*>/g, '\n')
    .split(/[\n&;"'<>]/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.length >= 12);
}

interface Needles {
  /** Exact strings that must not appear, with what they are. */
  exact: Map<string, string>;
}

function needlesFrom(dataset: IntercomDataset, tokens: string[]): Needles {
  const exact = new Map<string, string>();
  for (const contact of dataset.contacts) {
    if (contact.name) exact.set(contact.name, `contact name`);
    if (contact.email) exact.set(contact.email.toLowerCase(), 'contact e-mail');
    if (contact.phone) exact.set(contact.phone, 'contact phone');
  }
  for (const admin of dataset.admins) if (admin.name) exact.set(admin.name, 'agent name');
  for (const conversation of dataset.conversations) {
    const bodies = [
      conversation.source.body,
      ...(conversation.conversation_parts?.conversation_parts ?? []).map((p) => p.body),
    ];
    for (const body of bodies) for (const piece of bodyPieces(body ?? '')) exact.set(piece, 'message text');
  }
  for (const token of tokens) exact.set(token, 'token');
  return { exact };
}

/** Every leak in one history: e-mail addresses by pattern, the rest by exact text. */
function leaksIn(history: unknown, label: string, needles: Needles): string[] {
  const found: Found[] = [];
  textsOf(history, '', found);
  const leaks: string[] = [];
  for (const { where, text } of found) {
    const path = where.replace(/^\./, '');
    const at = `${label} ${eventLabel(history, path)} ${path}`;
    const email = EMAIL.exec(text);
    if (email) leaks.push(`${at}: e-mail address ${email[0]}`);
    const lower = text.toLowerCase();
    for (const [needle, kind] of needles.exact) {
      const hit = kind === 'contact e-mail' ? lower.includes(needle) : text.includes(needle);
      if (hit) leaks.push(`${at}: ${kind} "${needle.slice(0, 60)}"`);
    }
  }
  return leaks;
}

/** The vocabulary every generated workspace draws from (names, bodies), for histories recorded from any seed. */
const generatedVocabulary = needlesFrom(
  generateWorkspace({ seed: 1, conversations: 80, contacts: 40, admins: 8, attachmentEvery: 0 }),
  ['sandbox-admin-token'],
);

describe('workflow histories hold no personal data or secrets', function () {
  this.timeout(300_000);
  let rig: MigrationRig;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 31,
        conversations: 20,
        partsPerConversation: 4,
        caseDuplicateContacts: 2,
        attachmentEvery: 4,
        inlineImageEvery: 5,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
  });

  after(() => rig?.close());

  it('in every execution a real migration creates', async () => {
    const { env, scenario, blobStoreUrl } = rig;
    const handle = await rig.start(
      rig.input({ import: { ...scenario.input('').import, windowSize: 8, childrenPerRun: 8 } }),
    );
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.reconciliation.missing, 0);

    const dataset = scenario.intercom.dataset;
    const needles = needlesFrom(dataset, [
      scenario.intercomToken,
      scenario.chatwootToken,
      ...Object.values(scenario.chatwootAgentTokens),
    ]);
    for (const [needle, kind] of generatedVocabulary.exact)
      if (!needles.exact.has(needle)) needles.exact.set(needle, kind);
    // The scan can only pass for the right reason if it is looking for plenty.
    assert.ok(needles.exact.size > 100, `only ${needles.exact.size} needles`);
    assert.ok(dataset.contacts.some((c) => c.email) && Object.keys(scenario.chatwootAgentTokens).length > 0);

    const leaks: string[] = [];
    const types = new Set<string>();
    let executions = 0;
    let texts = 0;
    let decodedInputs = 0;
    for await (const execution of env.client.workflow.list()) {
      executions++;
      types.add(execution.type);
      const history = JSON.parse(
        historyToJSON(
          await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory(),
        ),
      ) as unknown;
      const found: Found[] = [];
      textsOf(history, '', found);
      texts += found.length;
      // The input is inside base64 payload data: seeing it proves payloads were decoded, not skipped.
      if (found.some((f) => f.text.includes(blobStoreUrl))) decodedInputs++;
      leaks.push(...leaksIn(history, `${execution.workflowId} (${execution.runId})`, needles));
    }
    // Every kind of workflow the migration starts was searched, continued-as-new runs included.
    for (const type of [
      'accountMigration',
      'exportWorkflow',
      'attachmentRehost',
      'mappingWorkflow',
      'importWorkflow',
      'conversationImport',
      'verifyWorkflow',
      'rolloutWorkflow',
      'retentionReminder',
    ]) {
      assert.ok(types.has(type), `no ${type} execution was listed (saw ${[...types].join(', ')})`);
    }
    assert.ok(executions >= 20 + 8, `only ${executions} executions listed`);
    assert.ok(texts > 1000, `only ${texts} texts searched`);
    assert.ok(decodedInputs >= executions - 1, `inputs decoded in only ${decodedInputs} of ${executions}`);
    assert.deepEqual(leaks, []);
  });

  it('in the recorded histories under test/histories/', function () {
    const folder = join(repoRoot, 'test', 'histories');
    const files = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json')) : [];
    if (files.length === 0) this.skip();
    const leaks: string[] = [];
    for (const file of files) {
      const history = JSON.parse(readFileSync(join(folder, file), 'utf8')) as unknown;
      const found: Found[] = [];
      textsOf(history, '', found);
      assert.ok(found.length > 0, `${file} holds no text at all`);
      leaks.push(...leaksIn(history, file, generatedVocabulary));
    }
    assert.deepEqual(leaks, []);
  });

  it('finds what it looks for (the scan itself)', () => {
    const leaked = {
      events: [
        {
          eventId: '1',
          eventType: 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
          identity: '4242@worker-1.internal.example',
          activityTaskCompletedEventAttributes: {
            result: {
              payloads: [
                {
                  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
                  data: Buffer.from(JSON.stringify({ note: 'Hi, I can’t log in', who: 'Ann Lee' })).toString(
                    'base64',
                  ),
                },
              ],
            },
          },
        },
        {
          eventId: '2',
          eventType: 'EVENT_TYPE_ACTIVITY_TASK_FAILED',
          activityTaskFailedEventAttributes: {
            failure: { message: 'Chatwoot 422: Email ann.lee0@example.com has already been taken' },
          },
        },
      ],
    };
    const needles: Needles = {
      exact: new Map([
        ['Ann Lee', 'contact name'],
        ['sandbox-admin-token', 'token'],
      ]),
    };
    const leaks = leaksIn(leaked, 'sample', needles);
    assert.equal(leaks.length, 2, leaks.join('\n'));
    assert.match(leaks[0], /event 1 .*result\.payloads\[0\]\.data: contact name "Ann Lee"/);
    assert.match(leaks[1], /event 2 .*failure\.message: e-mail address ann\.lee0@example\.com/);
  });
});
