/**
 * The plan's formula (src/plan/estimate.ts) and its per-conversation counts (src/plan/threads.ts),
 * on hand-made workspaces whose requests are counted here by hand from the import's rules.
 */
import assert from 'node:assert/strict';
import { emptyPlanCounts } from '../src/activities/plan/intercomSurvey.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import {
  CHATWOOT_DEFAULT_REQUESTS_PER_SECOND,
  chatwootRequests,
  estimatePlan,
  floodGuardMinutes,
  formatDuration,
  type PlanCounts,
  type PlanSettings,
} from '../src/plan/estimate.js';
import { renderPlanMarkdown } from '../src/plan/report.js';
import { type AttachmentTally, conversationFacts } from '../src/plan/threads.js';

/** A workspace with nothing in it (the survey's starting counts), with the given sections. */
function counts(overrides: Partial<PlanCounts> = {}): PlanCounts {
  return { ...emptyPlanCounts(), ...overrides };
}

const settings = (overrides: Partial<PlanSettings> = {}): PlanSettings => ({
  matchedAdmins: [],
  agentTokens: 0,
  windowSize: 20,
  ...overrides,
});

describe('the plan’s estimate', () => {
  it('counts a conversation as create + further messages + labels + assignee + status', () => {
    // Two conversations: 3 messages assigned to a matched admin, 1 message assigned to an unmatched one.
    const c = counts({
      conversations: {
        count: 2,
        messages: 4,
        withoutMessages: 0,
        messagePages: 2,
        assignees: { '7': 1, '8': 1 },
        withTeam: 0,
        floodGuardMinutes: 0,
      },
    });
    const steps = chatwootRequests(c, settings({ matchedAdmins: ['7'] }));
    // First: create(+msg 1), 2 messages, labels, assignee, status = 6; second: create, labels, status = 3.
    assert.equal(steps.conversations, 9);
    // 1 archive page, 2 message pages, no contacts.
    assert.equal(steps.verify, 3);
  });

  it('counts a conversation without any message as a bare create', () => {
    const c = counts({
      conversations: {
        count: 1,
        messages: 0,
        withoutMessages: 1,
        messagePages: 1,
        assignees: {},
        withTeam: 1,
        floodGuardMinutes: 0,
      },
    });
    assert.equal(chatwootRequests(c, settings()).conversations, 3);
  });

  it('counts contacts: merged e-mails are no create, notes one each, placeholders a look-up and a create', () => {
    const c = counts({
      contacts: {
        listed: 10,
        mergedByEmail: 2,
        withNotes: 3,
        notes: 5,
        withTags: 4,
        withCompanies: 1,
        placeholders: 1,
      },
    });
    const steps = chatwootRequests(c, settings());
    assert.equal(steps.contacts, 8 + 5 + 4 + 1 + 2);
    // 9 canonical contacts: one page of 15, and 3 contacts' notes read.
    assert.equal(steps.verify, 1 + 0 + 1 + 3);
  });

  it('turns requests into time at the budget, and says where the budget came from', () => {
    const c = counts({
      conversations: {
        count: 1000,
        messages: 5000,
        withoutMessages: 0,
        messagePages: 1000,
        assignees: {},
        withTeam: 0,
        floodGuardMinutes: 0,
      },
      intercom: { exportRequests: 1100, beforeImport: 20 },
    });
    const budgeted = estimatePlan(c, settings({ chatwootRequestsPerSecond: 20, intercomPer10s: 1000 }));
    assert.equal(budgeted.chatwoot.budgetSource, 'CHATWOOT_REQUESTS_PER_SECOND');
    assert.ok(Math.abs(budgeted.chatwoot.seconds - budgeted.chatwoot.requests / ((20 * 1000) / 1050)) < 1e-9);
    assert.equal(budgeted.boundBy, 'chatwoot budget');
    assert.equal(budgeted.intercom.rateSource, 'X-RateLimit-Limit');
    assert.equal(budgeted.intercom.perSecond, 100);
    assert.equal(budgeted.intercom.requests, 1101);
    // Measured answers: the pacer holds each place until 1,000 ms after the answer.
    const fast = estimatePlan(c, settings({ chatwootRequestsPerSecond: 20, chatwootAnswerMs: 0 }));
    const slower = estimatePlan(c, settings({ chatwootRequestsPerSecond: 20, chatwootAnswerMs: 250 }));
    assert.ok(Math.abs(fast.chatwoot.seconds - fast.chatwoot.requests / 20) < 1e-9);
    assert.ok(Math.abs(slower.chatwoot.seconds / fast.chatwoot.seconds - 1.25) < 1e-9);
    assert.deepEqual(
      [slower.chatwoot.answerMs, slower.chatwoot.answerMeasured, budgeted.chatwoot.answerMeasured],
      [250, true, false],
    );
    const unset = estimatePlan(c, settings());
    assert.equal(unset.chatwoot.budgetPerSecond, CHATWOOT_DEFAULT_REQUESTS_PER_SECOND);
    assert.ok(unset.wallSeconds < budgeted.wallSeconds);
    // A slow Intercom decides the wall time instead.
    const slow = estimatePlan(c, settings({ chatwootRequestsPerSecond: 1000, intercomRequestsPerSecond: 2 }));
    assert.equal(slow.boundBy, 'intercom rate');
    assert.equal(slow.intercom.rateSource, 'INTERCOM_REQUESTS_PER_SECOND');
    assert.ok(Math.abs(slow.wallSeconds - 1101 / 2) < 1e-9);
  });

  it('adds attachment bytes and a per-conversation overhead to the blob bytes', () => {
    const none = estimatePlan(counts(), settings()).blobBytes;
    const some = estimatePlan(
      counts({
        blob: {
          conversationBytes: 1000,
          contactBytes: 0,
          ticketBytes: 0,
          otherBytes: 0,
          attachments: 1,
          attachmentBytes: 5000,
        },
      }),
      settings(),
    ).blobBytes;
    assert.ok(some - none >= 6000, `${some} - ${none}`);
  });

  it('counts the flood guard’s minutes for long threads only', () => {
    assert.equal(floodGuardMinutes(190, 190), 0);
    assert.equal(floodGuardMinutes(191, 190), 1);
    assert.equal(floodGuardMinutes(600, 190), 3);
    assert.equal(formatDuration(59), '59 s');
    assert.equal(formatDuration(3725), '1 h 02 min');
  });
});

describe('the plan’s count of one conversation', () => {
  const author = { type: 'user', id: 'u1' };
  const admin = { type: 'admin', id: 'a1' };
  const conversation = (parts: Record<string, unknown>[], total?: number) =>
    ({
      id: 'c1',
      created_at: 1,
      updated_at: 2,
      state: 'open',
      source: {
        id: 's1',
        body: '<p>Hello</p>',
        author,
        attachments: [{ url: 'https://x/a.png', filesize: 100 }],
      },
      conversation_parts: { conversation_parts: parts },
      statistics: total === undefined ? undefined : { count_conversation_parts: total },
    }) as unknown as Conversation;

  it('follows the rules: empty comments nothing, bare events a line, replies with a state change two', () => {
    const tally: AttachmentTally = { count: 0, bytes: 0, withoutSize: [] };
    const facts = conversationFacts(
      conversation([
        {
          id: 'p1',
          part_type: 'comment',
          body: '<p>Reply</p>',
          author: admin,
          attachments: [],
          created_at: 2,
        },
        { id: 'p2', part_type: 'comment', body: '<p> </p>', author: admin, attachments: [], created_at: 3 },
        { id: 'p3', part_type: 'assignment', body: null, author: admin, attachments: [], created_at: 4 },
        { id: 'p4', part_type: 'close', body: '<p>Done</p>', author: admin, attachments: [], created_at: 5 },
        {
          id: 'p5',
          part_type: 'note',
          body: '',
          author: admin,
          attachments: [{ url: 'https://x/b' }],
          created_at: 6,
        },
        {
          id: 'p5',
          part_type: 'note',
          body: '',
          author: admin,
          attachments: [{ url: 'https://x/b' }],
          created_at: 6,
        },
      ]),
      'activity',
      tally,
    );
    // source 1, p1 1, p2 0, p3 1, p4 2, p5 1 (listed twice, one message).
    assert.equal(facts.messages, 6);
    assert.deepEqual(tally, { count: 2, bytes: 100, withoutSize: ['https://x/b'] });
    const skipped = conversationFacts(
      conversation([
        { id: 'p3', part_type: 'assignment', body: null, author: admin, attachments: [], created_at: 4 },
      ]),
      'skip',
      { count: 0, bytes: 0, withoutSize: [] },
    );
    assert.equal(skipped.messages, 1);
  });

  it('adds the truncation note when Intercom counts more parts than it returned', () => {
    const facts = conversationFacts(
      conversation(
        [{ id: 'p1', part_type: 'comment', body: 'x', author: admin, attachments: [], created_at: 2 }],
        800,
      ),
      'activity',
      { count: 0, bytes: 0, withoutSize: [] },
    );
    assert.deepEqual(facts, { messages: 3, parts: 800, truncated: true });
  });
});

describe('the plan’s Markdown', () => {
  it('shows the estimate, the renamed tags and the admins without agent', () => {
    const estimate = estimatePlan(counts(), settings({ chatwootRequestsPerSecond: 10 }));
    const markdown = renderPlanMarkdown({
      account: 3,
      generatedAt: '2025-01-01T00:00:00.000Z',
      filters: 'all contacts',
      counts: {
        contacts: 1,
        contactsMergedByEmail: 0,
        contactNotes: 0,
        companies: 0,
        conversations: 0,
        conversationParts: 0,
        messages: 0,
        tickets: 0,
        ticketParts: 0,
        attachments: 0,
        attachmentBytes: 0,
        attachmentSizes: { fromFilesize: 0, fromLink: 0, unknown: 0 },
        tags: 1,
        teams: 0,
        admins: 1,
        unreadableConversations: 0,
      },
      leftOut: {
        conversations: { 'updated-before': 0, state: 0, 'excluded-tag': 0 },
        contacts: { unreferenced: 0 },
      },
      overPartsCap: { count: 1, listed: [{ conversationId: '42', parts: 900 }] },
      tagsRenamed: [{ tag: 'Billing / VAT', label: 'billing-vat' }],
      tagsMerged: [],
      admins: { withoutAgent: [{ adminId: '9', name: 'Nina' }], withoutToken: [] },
      chatwoot: { agents: 2, inboxes: 1, labels: 0, archiveInboxExists: false, labelsExisting: 0 },
      findings: [{ source: 'preflight', severity: 'blocker', message: 'token refused' }],
      estimate,
      basis: counts(),
      planCost: { intercomRequests: 5, chatwootRequests: 3 },
    });
    assert.match(markdown, /^# Migration plan for Chatwoot account 3$/m);
    assert.match(
      markdown,
      /\| Chatwoot \| \d+ \| .* \| 10\/s \(CHATWOOT_REQUESTS_PER_SECOND\), answers in 50 ms \(assumed\) \|/,
    );
    assert.match(markdown, /"Billing \/ VAT" → `billing-vat`/);
    assert.match(markdown, /- 42: 900 parts/);
    assert.match(markdown, /Nina \(Intercom admin 9\)/);
    assert.match(markdown, /\*\*blocker\*\* \(preflight\): token refused/);
  });
});
