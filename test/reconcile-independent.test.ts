/**
 * The sandbox's reconciliation is independent of the mapping: a Chatwoot state written the way a
 * correct migration writes it (with the project's own mapping functions) reconciles cleanly, and
 * each plausible mapping mistake, applied to that same output, shows as a specific problem.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Conversation } from '../src/clients/intercom/schemas.js';
import {
  contactPayload,
  conversationCustomAttributes,
  mergeContactsByEmail,
  type PlannedMessage,
  planMessages,
} from '../src/mapping/index.js';
import { RecordInvalidError, type SandboxDump, type UploadedFile } from '../src/sandbox/chatwoot/index.js';
import {
  conversationToWire,
  generateWorkspace,
  type IntercomDataset,
} from '../src/sandbox/intercom/index.js';
import { reconcileSandboxes, type SandboxReconciliation } from '../src/sandbox/reconcile.js';
import { archiveAccountState } from './helpers/chatwootState.js';

const ACCOUNT = 1;
const PARTS_CAP = 500;
const LIMIT = 150_000;
const FILES = 'https://intercom-sandbox.test/files/';
const PLAN = { activityParts: 'activity', timestampLine: true } as const;

type Plans = Map<string, PlannedMessage[]>;
/** A mapping mistake: the plan of one conversation as a faulty mapping would give it. */
type Mistake = (conversationId: string, plan: PlannedMessage[]) => PlannedMessage[];

/** A small workspace with what the rules have to cover: a body over Chatwoot's limit (50+
 * conversations), inline images, attachments past 15 on one message, a close that carries a reply
 * and a part type the mapping does not know. */
function workspace(): IntercomDataset {
  const dataset = generateWorkspace({
    seed: 23,
    conversations: 52,
    partsPerConversation: 4,
    caseDuplicateContacts: 3,
    attachmentEvery: 3,
    inlineImageEvery: 4,
    // Contact notes, labels, companies and merged contacts have their own test (reconcile-contact-notes).
    contactExtras: false,
    // Tickets have theirs too (tickets.integration), through the ticket import.
    tickets: 0,
  });
  const parts = dataset.conversations.flatMap((c) => c.conversation_parts?.conversation_parts ?? []);
  const everyAttachment = parts.flatMap((part) => part.attachments);
  const adminComment = parts.find(
    (part) => part.part_type === 'comment' && part.author.type === 'admin' && part.attachments.length === 0,
  );
  assert.ok(adminComment && everyAttachment.length >= 18, 'the workspace has what the test changes');
  adminComment.attachments = everyAttachment.slice(0, 18).map((attachment) => ({ ...attachment }));
  const close = parts.find((part) => part.part_type === 'close');
  assert.ok(close);
  close.body = '<p>Closing this one: the refund went out today.</p>';
  const userComment = parts.find((part) => part.part_type === 'comment' && part.author.type === 'user');
  assert.ok(userComment);
  userComment.part_type = 'sms_reply';
  // A conversation captured truncated: Intercom counts more parts than it returned.
  const truncated = dataset.conversations.find(
    (c) => (c.conversation_parts?.conversation_parts.length ?? 0) >= 2 && c.statistics,
  );
  assert.ok(truncated?.statistics);
  truncated.statistics.count_conversation_parts =
    (truncated.conversation_parts?.conversation_parts.length ?? 0) + 40;
  return dataset;
}

/** What the exporter reads: the API's wire form with signed links, parsed with the client's schema. */
function exported(conversation: IntercomDataset['conversations'][number]) {
  const wire = conversationToWire(
    conversation,
    { kind: 'latest', cap: PARTS_CAP },
    { attachmentUrl: (path) => `${FILES}${path}` },
  );
  return Conversation.parse(wire);
}

function plans(dataset: IntercomDataset): Plans {
  return new Map(
    dataset.conversations.map((conversation) => [
      conversation.id,
      planMessages(exported(conversation), PLAN),
    ]),
  );
}

/** Writes contacts, conversations and the (possibly mistaken) plans into a fresh Chatwoot state. */
async function migrate(dataset: IntercomDataset, correct: Plans, mistake?: Mistake): Promise<SandboxDump> {
  const state = archiveAccountState(ACCOUNT, { floodLimitPerMinute: 1_000_000 });
  const account = state.account(ACCOUNT);
  const inboxId = account.inboxes[0].id;
  const user = state.users.get(1);
  assert.ok(user);
  const actor = { user, role: 'administrator' as const };
  // As the import does: Intercom bots' parts go out as the account's agent bot.
  const bot = state.createAgentBot(account, { name: 'Intercom bots' }, actor);

  const merges = mergeContactsByEmail(dataset.contacts);
  const chatwootContact = new Map<string, number>();
  for (const contact of dataset.contacts) {
    if (merges.canonicalIdByContactId[contact.id] !== contact.id) continue;
    // The first named company is the contact's company_name, as the import's contact step writes it.
    const companyNames = Object.fromEntries(
      dataset.companies.map((company) => [company.id, company.name ?? '']),
    );
    const payload = contactPayload(contact, { companyNames });
    const params = { ...payload, inbox_id: inboxId };
    const created = await state.createContact(account, params).catch(async (error: unknown) => {
      // Phones are unique in Chatwoot: the importer keeps a taken one aside, as here.
      if (!(error instanceof RecordInvalidError) || !payload.phone_number) throw error;
      return state.createContact(account, { ...params, phone_number: undefined });
    });
    chatwootContact.set(contact.id, created.contact.id);
  }

  for (const conversation of dataset.conversations) {
    const plan = correct.get(conversation.id) ?? [];
    const intercomContact = conversation.contacts?.contacts[0]?.id ?? '';
    const contactId = chatwootContact.get(merges.canonicalIdByContactId[intercomContact] ?? intercomContact);
    assert.ok(contactId !== undefined, `contact of conversation ${conversation.id}`);
    const target = state.createConversation(
      account,
      {
        inbox_id: inboxId,
        contact_id: contactId,
        custom_attributes: conversationCustomAttributes(exported(conversation)),
      },
      actor,
    );
    for (const message of mistake ? mistake(conversation.id, plan) : plan) {
      const files: UploadedFile[] = message.attachments.map((attachment) => {
        const path = attachment.url.slice(FILES.length);
        const size = dataset.attachments[path]?.size;
        assert.ok(attachment.url.startsWith(FILES) && size !== undefined, attachment.url);
        return { fileName: attachment.name, contentType: attachment.contentType, size, sha256: path };
      });
      state.createMessage(
        account,
        target,
        {
          content: message.content,
          message_type: message.messageType,
          private: message.private,
          source_id: message.sourceId,
          content_attributes: { external_created_at: message.externalCreatedAt },
          ...(message.botAuthored && message.messageType === 'outgoing'
            ? { sender_type: 'AgentBot', sender_id: bot.id }
            : {}),
        },
        actor,
        files,
      );
    }
  }
  return state.dump();
}

function reconcile(dataset: IntercomDataset, dump: SandboxDump): SandboxReconciliation {
  return reconcileSandboxes(dataset, dump, {
    account: ACCOUNT,
    ...PLAN,
    partsCap: PARTS_CAP,
    deletedConversationIds: dataset.deletedConversations.map((d) => d.id),
  });
}

/** The first planned message matching `test`, with its conversation. */
function pick(correct: Plans, test: (message: PlannedMessage) => boolean) {
  for (const [conversationId, plan] of correct) {
    const message = plan.find(test);
    if (message) return { conversationId, message };
  }
  assert.fail('no planned message of that kind in the workspace');
}

/** Changes one message of one conversation. */
function changing(
  target: { conversationId: string; message: PlannedMessage },
  change: (message: PlannedMessage) => PlannedMessage | PlannedMessage[],
): Mistake {
  return (conversationId, plan) =>
    conversationId !== target.conversationId
      ? plan
      : plan.flatMap((message) =>
          message.sourceId === target.message.sourceId ? change(message) : [message],
        );
}

/** Time line and body of a planned content. */
function headerAndBody(content: string): [string, string] {
  const end = content.indexOf('\n\n');
  return [content.slice(0, end), content.slice(end + 2)];
}

describe('the sandbox reconciliation, independent of the mapping', function () {
  this.timeout(120_000);
  let dataset: IntercomDataset;
  let correct: Plans;
  let longBody: { conversationId: string; message: PlannedMessage };

  before(() => {
    dataset = workspace();
    correct = plans(dataset);
    longBody = pick(correct, (message) => message.content.length > LIMIT * 0.9);
  });

  async function problemsWith(mistake: Mistake): Promise<string[]> {
    const summary = reconcile(dataset, await migrate(dataset, correct, mistake));
    assert.ok(summary.problems.length > 0, 'the mistake went unnoticed');
    return summary.problems;
  }

  function assertListed(problems: string[], pattern: RegExp): void {
    assert.ok(
      problems.some((problem) => pattern.test(problem)),
      `no problem matches ${pattern}; problems: ${JSON.stringify(problems.slice(0, 10))}`,
    );
  }

  it('does not import the mapping, directly or through the sandbox', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
        const resolved = join(dirname(file), specifier.replace(/\.js$/, '.ts'));
        assert.ok(!resolved.includes(`${join(root, 'src', 'mapping')}`), `${file} imports ${specifier}`);
        visit(resolved);
      }
    };
    visit(join(root, 'src', 'sandbox', 'reconcile.ts'));
    assert.ok(seen.size > 3, `followed ${seen.size} files`);
  });

  it('finds a correct migration complete, with the counts the mapping plans', async () => {
    const summary = reconcile(dataset, await migrate(dataset, correct));
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    const planned = [...correct.values()].flat();
    assert.equal(summary.messages.expected, planned.length);
    assert.equal(summary.messages.found, planned.length);
    const attachments = planned.reduce((sum, message) => sum + message.attachments.length, 0);
    assert.equal(summary.attachments.expected, attachments);
    assert.equal(summary.attachments.found, attachments);
    assert.equal(summary.conversations.found, dataset.conversations.length);
    // The workspace covers what the rules are about.
    assert.ok(
      planned.some((message) => message.sourceId.endsWith(':2')),
      'a split body',
    );
    assert.ok(
      planned.some((message) => message.sourceId.endsWith(':a2')),
      'attachments past 15',
    );
    assert.ok(
      planned.some((message) => message.sourceId.endsWith(':event')),
      'a state change with a body',
    );
    assert.ok(
      planned.some((message) => message.attachments.some((a) => a.inline)),
      'an inline image',
    );
    assert.ok(
      planned.some((message) => message.kind === 'activity'),
      'activity notes',
    );
    assert.ok(
      planned.some((message) => message.sourceId.startsWith('truncated:')),
      'a conversation Intercom returned truncated',
    );
    assert.ok(
      planned.some((message) => message.content.includes('another participant')),
      'a part by a second contact',
    );
    assert.ok(summary.contacts.expected < dataset.contacts.length, 'contacts merged by e-mail');
  });

  it('notices a note posted as a public message', async () => {
    const note = pick(correct, (message) => message.kind === 'note' && message.partType === 'note');
    const problems = await problemsWith(changing(note, (message) => ({ ...message, private: false })));
    assertListed(problems, new RegExp(`message ${note.message.sourceId} is public, expected a private note`));
  });

  it('notices an unknown part type posted as a public message instead of a private note', async () => {
    const unknown = pick(correct, (message) => message.partType === 'sms_reply');
    const problems = await problemsWith(
      changing(unknown, (message) => ({ ...message, private: false, messageType: 'incoming' })),
    );
    assertListed(
      problems,
      new RegExp(`message ${unknown.message.sourceId} is public, expected a private note`),
    );
    assertListed(problems, new RegExp(`message ${unknown.message.sourceId} is incoming, expected outgoing`));
  });

  it('notices a dropped message', async () => {
    const reply = pick(correct, (message) => message.kind === 'message' && message.partType === 'comment');
    const problems = await problemsWith(changing(reply, () => []));
    assertListed(
      problems,
      new RegExp(`conversation ${reply.conversationId}: message ${reply.message.sourceId} missing`),
    );
  });

  it('notices a dropped activity note', async () => {
    const activity = pick(correct, (message) => message.kind === 'activity');
    const problems = await problemsWith(changing(activity, () => []));
    assertListed(problems, new RegExp(`message ${activity.message.sourceId} missing \\(an activity message`));
  });

  it('notices an activity posted as a private note, or without its original time', async () => {
    const activity = pick(correct, (message) => message.messageType === 'activity');
    const asNote = await problemsWith(
      changing(activity, (message) => ({ ...message, messageType: 'outgoing', private: true })),
    );
    assertListed(
      asNote,
      new RegExp(`message ${activity.message.sourceId} is private, expected an activity message`),
    );
    assertListed(asNote, new RegExp(`message ${activity.message.sourceId} is outgoing, expected activity`));
    const timeless = await problemsWith(
      changing(activity, (message) => ({ ...message, content: message.content.replace(/ · [^·]*$/, '') })),
    );
    assertListed(
      timeless,
      new RegExp(`message ${activity.message.sourceId} is not one line ending with its original time`),
    );
  });

  it('notices a bot’s answer posted as the administrator, and an agent’s as the bot', async () => {
    const botAnswer = pick(
      correct,
      (message) => message.botAuthored && message.messageType === 'outgoing' && !message.private,
    );
    const asAdmin = await problemsWith(
      changing(botAnswer, (message) => ({ ...message, botAuthored: false })),
    );
    assertListed(
      asAdmin,
      new RegExp(`message ${botAnswer.message.sourceId} is not an agent bot's, expected`),
    );
    const agentReply = pick(
      correct,
      (message) => message.authorType === 'admin' && message.messageType === 'outgoing' && !message.private,
    );
    const asBot = await problemsWith(changing(agentReply, (message) => ({ ...message, botAuthored: true })));
    assertListed(asBot, new RegExp(`message ${agentReply.message.sourceId} is an agent bot's, expected not`));
  });

  it('notices an outgoing admin reply posted as incoming', async () => {
    const reply = pick(
      correct,
      (message) => message.partType === 'comment' && message.authorType === 'admin' && !message.private,
    );
    assert.equal(reply.message.messageType, 'outgoing');
    const problems = await problemsWith(
      changing(reply, (message) => ({ ...message, messageType: 'incoming' })),
    );
    assertListed(problems, new RegExp(`message ${reply.message.sourceId} is incoming, expected outgoing`));
  });

  it('notices a customer message posted as outgoing', async () => {
    const opening = pick(
      correct,
      (message) =>
        message.partType === 'source' && message.authorType === 'user' && message.attachments.length === 0,
    );
    const problems = await problemsWith(
      changing(opening, (message) => ({ ...message, messageType: 'outgoing' })),
    );
    assertListed(problems, new RegExp(`message ${opening.message.sourceId} is outgoing, expected incoming`));
  });

  it('notices a long body cut into more pieces than needed', async () => {
    const id = longBody.message.sourceId;
    const mistake: Mistake = (conversationId, plan) => {
      if (conversationId !== longBody.conversationId) return plan;
      const first = plan.findIndex((message) => message.sourceId === id);
      const second = plan.findIndex((message) => message.sourceId === `${id}:2`);
      assert.ok(first >= 0 && second === first + 1, 'the long body is in two pieces');
      const [header, bodyOne] = headerAndBody(plan[first].content);
      const [continued, bodyTwo] = headerAndBody(plan[second].content);
      const whole = `${bodyOne}\n${bodyTwo}`;
      // Three pieces at line breaks, each well within the limit: two would have done.
      const cutOne = whole.indexOf('\n', Math.floor(whole.length / 3));
      const cutTwo = whole.indexOf('\n', Math.floor((2 * whole.length) / 3));
      const pieces = [whole.slice(0, cutOne), whole.slice(cutOne + 1, cutTwo), whole.slice(cutTwo + 1)];
      const split = pieces.map((piece, n) => ({
        ...plan[first],
        sourceId: n === 0 ? id : `${id}:${n + 1}`,
        content: `${n === 0 ? header : continued}\n\n${piece}`,
        attachments: n === 0 ? plan[first].attachments : [],
      }));
      return [...plan.slice(0, first), ...split, ...plan.slice(second + 1)];
    };
    const problems = await problemsWith(mistake);
    assertListed(problems, new RegExp(`message ${id} was cut too early`));
  });

  it('notices a long body truncated to the limit instead of split', async () => {
    const id = longBody.message.sourceId;
    const mistake: Mistake = (conversationId, plan) =>
      conversationId !== longBody.conversationId
        ? plan
        : plan
            .filter((message) => message.sourceId !== `${id}:2`)
            .map((message) =>
              message.sourceId === id
                ? {
                    ...message,
                    content:
                      `${message.content}\n${headerAndBody(plan.find((m) => m.sourceId === `${id}:2`)?.content ?? '')[1]}`.slice(
                        0,
                        LIMIT,
                      ),
                  }
                : message,
            );
    const problems = await problemsWith(mistake);
    assertListed(problems, new RegExp(`message ${id} is missing text of its Intercom body`));
  });

  it('notices the end of a long body lost', async () => {
    const id = longBody.message.sourceId;
    const problems = await problemsWith(
      changing(
        { conversationId: longBody.conversationId, message: { ...longBody.message, sourceId: `${id}:2` } },
        (message) => ({
          ...message,
          content: message.content.slice(0, message.content.length - 2_000),
        }),
      ),
    );
    assertListed(problems, new RegExp(`message ${id} is missing text of its Intercom body`));
  });

  it('notices a dropped attachment', async () => {
    const carrier = pick(correct, (message) => message.attachments.filter((a) => !a.inline).length >= 2);
    const problems = await problemsWith(
      changing(carrier, (message) => ({ ...message, attachments: message.attachments.slice(1) })),
    );
    assertListed(
      problems,
      new RegExp(
        `message ${carrier.message.sourceId} lacks 1 of its ${carrier.message.attachments.length} attachments`,
      ),
    );
  });

  it('notices a dropped inline image', async () => {
    const carrier = pick(correct, (message) => message.attachments.some((a) => a.inline));
    const problems = await problemsWith(
      changing(carrier, (message) => ({
        ...message,
        attachments: message.attachments.filter((a) => !a.inline),
      })),
    );
    assertListed(
      problems,
      new RegExp(`message ${carrier.message.sourceId} lacks 1 of its .*inline in the body`),
    );
  });

  it('notices attachments past 15 left out', async () => {
    const spill = pick(correct, (message) => message.sourceId.endsWith(':a2'));
    const id = spill.message.sourceId.replace(/:a2$/, '');
    const total = (correct.get(spill.conversationId) ?? [])
      .filter((message) => message.sourceId === id || message.sourceId.startsWith(`${id}:a`))
      .reduce((sum, message) => sum + message.attachments.length, 0);
    assert.ok(total > 15);
    const problems = await problemsWith(changing(spill, () => []));
    assertListed(problems, new RegExp(`message ${spill.message.sourceId} missing`));
    assertListed(
      problems,
      new RegExp(`message ${id} lacks ${spill.message.attachments.length} of its ${total}`),
    );
  });

  it('notices a wrong time line', async () => {
    const reply = pick(correct, (message) => message.partType === 'comment');
    const problems = await problemsWith(
      changing(reply, (message) => ({
        ...message,
        content: message.content.replace(
          /^— (\S+) (\d\d)/,
          (_m, day: string, hour: string) => `— ${day} ${String((Number(hour) + 1) % 24).padStart(2, '0')}`,
        ),
      })),
    );
    assertListed(problems, new RegExp(`message ${reply.message.sourceId} does not start with its time line`));
  });

  it('notices a message under another source id', async () => {
    const reply = pick(correct, (message) => message.partType === 'comment');
    const problems = await problemsWith(
      changing(reply, (message) => ({ ...message, sourceId: `x${message.sourceId}` })),
    );
    assertListed(problems, new RegExp(`message ${reply.message.sourceId} missing`));
    assertListed(problems, new RegExp(`unexpected message x${reply.message.sourceId}`));
  });

  it('notices messages posted out of order', async () => {
    const [conversationId, plan] =
      [...correct].find(([, p]) => p.length >= 4) ?? assert.fail('a long thread');
    const problems = await problemsWith((id, p) => (id === conversationId ? [p[1], p[0], ...p.slice(2)] : p));
    assertListed(
      problems,
      new RegExp(`conversation ${conversationId}: message ${plan[1].sourceId} comes before`),
    );
  });

  it('notices an inline image linking to its Intercom link instead of naming the attachment', async () => {
    const carrier = pick(correct, (message) => message.content.includes('[image: '));
    const image = carrier.message.attachments.find((a) => a.inline);
    assert.ok(image);
    const problems = await problemsWith(
      changing(carrier, (message) => ({
        ...message,
        content: message.content.replace(/\[image: [^\]]* — attached\]/, `![](${image.url})`),
      })),
    );
    assertListed(problems, new RegExp(`message ${carrier.message.sourceId} links to an inline image`));
  });

  it('notices an attached inline image said not to be copied', async () => {
    const carrier = pick(correct, (message) => message.content.includes('[image: '));
    const problems = await problemsWith(
      changing(carrier, (message) => ({
        ...message,
        content: message.content.replace(' — attached]', ' — could not be copied from Intercom]'),
      })),
    );
    assertListed(problems, new RegExp(`message ${carrier.message.sourceId} does not say its inline image`));
  });

  it('notices the note on a truncated conversation left out', async () => {
    const note = pick(correct, (message) => message.sourceId.startsWith('truncated:'));
    const problems = await problemsWith(changing(note, () => []));
    assertListed(problems, new RegExp(`message ${note.message.sourceId} missing`));
  });

  it("notices a second participant's message that does not say who wrote it", async () => {
    const reply = pick(correct, (message) => message.content.includes('another participant'));
    const problems = await problemsWith(
      changing(reply, (message) => ({
        ...message,
        content: message.content.replace(/\*\*From [^\n]*\n\n/, ''),
      })),
    );
    assertListed(problems, new RegExp(`message ${reply.message.sourceId} does not start by saying who`));
  });
});
