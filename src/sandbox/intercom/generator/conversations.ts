/**
 * Conversations and their parts: threads of comments and notes with assignments, close/reopen,
 * snoozes and part types the docs do not list, a few over the API's 500-part limit, and the ids of
 * conversations deleted later.
 */
import type {
  Admin,
  Author,
  Contact,
  Conversation,
  ConversationPart,
  PartAttachment,
  Tag,
  Team,
} from '../../../clients/intercom/schemas.js';
import type { DeletedConversation } from '../dataset.js';
import type { GeneratorContext } from './context.js';
import { pickDistinct } from './dice.js';
import {
  ADMIN_BODIES,
  BOT_BODIES,
  longHtmlBody,
  type MessageWriter,
  NOTE_BODIES,
  USER_BODIES,
} from './messages.js';

const SUBJECTS = ['Login problem', 'Refund', 'Question about my invoice', 'Bug: export fails', 'Hello 👋'];
const RATING_REMARKS = ['', 'Great help, thanks!', 'Too slow.', 'Solved my problem 🎉', 'meh'];

export interface ConversationRefs {
  admins: Admin[];
  teams: Team[];
  tags: Tag[];
  contacts: Contact[];
}

export class ConversationBuilder {
  private nextPartId = 9_000_000_000;
  private nextSourceId = 403_918_000;

  constructor(
    private readonly context: GeneratorContext,
    private readonly messages: MessageWriter,
  ) {}

  build(
    count: number,
    refs: ConversationRefs,
  ): { conversations: Conversation[]; deleted: DeletedConversation[] } {
    const { dice, options, startTime } = this.context;
    const conversations: Conversation[] = [];
    const deleted: DeletedConversation[] = [];
    const deletedTarget =
      options.deletedConversations ?? (count > 0 ? Math.max(1, Math.floor(count / 25)) : 0);
    const longTarget = Math.min(options.longConversations ?? 0, count);
    const longIndexes = new Set<number>();
    for (let j = 0; j < longTarget; j++) longIndexes.add(Math.floor(((j + 0.5) * count) / longTarget));
    const longBodyIndex = count >= 50 ? Math.floor(count / 2) : -1;
    const deleteEvery = deletedTarget > 0 ? Math.max(1, Math.floor(count / deletedTarget)) : 0;
    let nextId = 1_000 + dice.int(0, 99);
    for (let i = 0; i < count; i++) {
      // Ids leave gaps, as in a real workspace; some gaps are conversations deleted later.
      if (
        deleteEvery > 0 &&
        deleted.length < deletedTarget &&
        i % deleteEvery === Math.floor(deleteEvery / 2)
      ) {
        deleted.push({
          type: 'conversation',
          id: String(nextId),
          metrics_retained: deleted.length % 2 === 0,
          deleted_at: startTime + i * 1_800 + 86_400 * 30 + deleted.length,
        });
        nextId += 1;
      }
      const id = String(nextId);
      nextId += dice.int(1, 4);
      const partCount = longIndexes.has(i) ? dice.int(520, 600) : this.partCount();
      conversations.push(this.conversation(id, i, partCount, i === longBodyIndex, refs));
    }
    // Deletions the id sequence did not reach (tiny workspaces) still get ids beyond the last one.
    while (deleted.length < deletedTarget) {
      deleted.push({
        type: 'conversation',
        id: String(nextId++),
        metrics_retained: false,
        deleted_at: startTime + 86_400 * 31 + deleted.length,
      });
    }
    return { conversations, deleted };
  }

  private partCount(): number {
    const mean = Math.max(0, this.context.options.partsPerConversation ?? 6);
    if (mean === 0) return 0;
    // Uniform in [0, 2*mean] keeps the mean while giving short and long threads.
    return this.context.dice.int(0, Math.round(mean * 2));
  }

  private conversation(
    id: string,
    index: number,
    partCount: number,
    withLongBody: boolean,
    refs: ConversationRefs,
  ): Conversation {
    const { dice, appId, startTime } = this.context;
    const contact = dice.pick(refs.contacts);
    const createdAt = startTime + index * 1_800 + dice.int(0, 1_700);
    const stateRoll = dice.float();
    const state = stateRoll < 0.45 ? 'open' : stateRoll < 0.9 ? 'closed' : 'snoozed';
    const assignee = dice.chance(0.7) ? dice.pick(refs.admins) : null;
    const team =
      refs.teams.length > 0 && dice.chance(0.5)
        ? (refs.teams.find((t) => assignee && t.admin_ids.includes(assignee.id)) ?? dice.pick(refs.teams))
        : null;
    const bot: Author = {
      type: 'bot',
      id: '991267999',
      name: 'Fin',
      email: `operator+${appId}@intercom.io`,
    };
    const contactAuthor: Author = {
      type: contact.role,
      id: contact.id,
      name: contact.name ?? null,
      email: contact.email ?? null,
    };
    const adminAuthor = (admin: Admin): Author => ({
      type: 'admin',
      id: admin.id,
      name: admin.name ?? null,
      email: admin.email ?? null,
    });
    const someAdmin = () => assignee ?? dice.pick(refs.admins);

    const adminInitiated = dice.chance(0.15);
    const viaEmail = !adminInitiated && contact.email !== null && dice.chance(0.2);
    const sourceAuthor = adminInitiated ? adminAuthor(someAdmin()) : contactAuthor;
    const sourceBody = this.messages.body(adminInitiated ? ADMIN_BODIES : USER_BODIES, index);
    const source = {
      type: viaEmail ? 'email' : 'conversation',
      id: String(this.nextSourceId++),
      delivered_as: adminInitiated ? 'admin_initiated' : 'customer_initiated',
      subject: viaEmail || adminInitiated ? dice.pick(SUBJECTS) : '',
      body: sourceBody.body,
      author: sourceAuthor,
      attachments: sourceBody.attachments,
      url: adminInitiated || viaEmail ? null : 'https://app.example.com/pricing',
      redacted: false,
    };

    // Parts: a thread of comments and notes with the odd assignment, close/reopen, snooze and a part
    // type the docs do not list; the last part matches the final state.
    const parts: ConversationPart[] = [];
    let time = createdAt;
    const stamp = () => {
      time += dice.int(15, 5_400);
      return time;
    };
    const regular = state === 'open' ? partCount : Math.max(0, partCount - 1);
    const push = (
      partType: string,
      author: Author,
      body: { body: string | null; attachments: PartAttachment[] },
      extra: Record<string, unknown> = {},
    ) => {
      const at = stamp();
      parts.push({
        type: 'conversation_part',
        id: String(this.nextPartId++),
        part_type: partType,
        body: body.body,
        created_at: at,
        updated_at: at,
        notified_at: at,
        assigned_to: null,
        author,
        attachments: body.attachments,
        external_id: null,
        redacted: false,
        ...extra,
      });
    };
    const noBody = { body: null, attachments: [] };
    let pendingReopen: 'close' | 'snoozed' | null = null;
    while (parts.length < regular) {
      if (pendingReopen) {
        if (pendingReopen === 'snoozed' && dice.chance(0.5)) push('timer_unsnooze', bot, noBody);
        else push('open', adminAuthor(someAdmin()), noBody);
        pendingReopen = null;
        continue;
      }
      const roll = dice.float();
      const remaining = regular - parts.length;
      if (parts.length === 0 && (assignee || team) && dice.chance(0.5)) {
        const target = assignee
          ? { type: 'admin', id: assignee.id }
          : { type: 'team', id: (team as Team).id };
        push('assignment', adminAuthor(dice.pick(refs.admins)), noBody, { assigned_to: target });
      } else if (roll < 0.4) {
        push('comment', contactAuthor, this.messages.body(USER_BODIES, index));
      } else if (roll < 0.72) {
        push('comment', adminAuthor(someAdmin()), this.messages.body(ADMIN_BODIES, index));
      } else if (roll < 0.78) {
        push('comment', bot, this.messages.body(BOT_BODIES, index));
      } else if (roll < 0.88) {
        push('note', adminAuthor(someAdmin()), this.messages.body(NOTE_BODIES, index));
      } else if (roll < 0.92 && remaining >= 2) {
        push('close', adminAuthor(someAdmin()), noBody);
        pendingReopen = 'close';
      } else if (roll < 0.94 && remaining >= 2) {
        push('snoozed', adminAuthor(someAdmin()), noBody);
        pendingReopen = 'snoozed';
      } else if (roll < 0.96) {
        const target =
          team && dice.chance(0.5) ? { type: 'team', id: team.id } : { type: 'admin', id: someAdmin().id };
        push('assignment', adminAuthor(dice.pick(refs.admins)), noBody, { assigned_to: target });
      } else if (roll < 0.98) {
        push('custom_action_started', adminAuthor(someAdmin()), noBody, {
          event_details: { action: { name: 'Jira Create Issue' } },
          app_package_code: 'jira-for-tickets',
        });
      } else {
        push('conversation_attribute_updated_by_admin', bot, noBody, {
          event_details: { attribute: { name: 'Order number' }, value: { name: `ORD-${index}` } },
        });
      }
    }
    if (state === 'closed' && partCount > 0) {
      push('close', dice.chance(0.2) ? bot : adminAuthor(someAdmin()), noBody);
    }
    if (state === 'snoozed' && partCount > 0) {
      push('snoozed', adminAuthor(someAdmin()), noBody);
    }
    if (withLongBody) {
      const target = parts.find((part) => part.part_type === 'comment');
      const huge = longHtmlBody(index);
      if (target) target.body = huge;
      else source.body = huge;
    }

    const lastTime = parts.length > 0 ? (parts[parts.length - 1] as ConversationPart).created_at : createdAt;
    const adminReplies = parts.filter((part) => part.part_type === 'comment' && part.author.type === 'admin');
    const contactReplies = parts.filter(
      (part) => part.part_type === 'comment' && (part.author.type === 'user' || part.author.type === 'lead'),
    );
    const closes = parts.filter((part) => part.part_type === 'close');
    const closedAt = closes.length > 0 ? (closes[closes.length - 1] as ConversationPart).created_at : null;
    const tagCount = refs.tags.length > 0 ? dice.int(0, Math.min(2, refs.tags.length)) : 0;
    const conversationTags: {
      type: string;
      id: string;
      name: string;
      applied_at: number;
      applied_by: { type: string; id: string };
    }[] = [];
    for (const tag of pickDistinct(dice, refs.tags, tagCount)) {
      conversationTags.push({
        type: 'tag',
        id: tag.id,
        name: tag.name,
        applied_at: createdAt + 60,
        applied_by: { type: 'admin', id: someAdmin().id },
      });
    }
    const rated = state === 'closed' && closedAt !== null && dice.chance(0.3);
    const lastPart = parts[parts.length - 1];
    const waitingSince =
      state !== 'closed' && lastPart && (lastPart.author.type === 'user' || lastPart.author.type === 'lead')
        ? lastPart.created_at
        : null;
    const customAttributes: Record<string, unknown> = {};
    if (dice.chance(0.5)) customAttributes['Order number'] = `ORD-${10_000 + index}`;
    if (dice.chance(0.3)) customAttributes['Escalation reason'] = dice.pick(['billing', 'bug', 'other']);
    if (dice.chance(0.2)) customAttributes['Refund amount'] = Math.round(dice.float() * 20_000) / 100;
    if (dice.chance(0.2)) customAttributes['Follow up'] = dice.chance(0.5);
    const teammates = [...new Set(adminReplies.map((part) => String(part.author.id)))];

    return {
      type: 'conversation',
      id,
      title: dice.chance(0.15) ? `${dice.pick(SUBJECTS)} (#${id})` : null,
      created_at: createdAt,
      updated_at: lastTime,
      waiting_since: waitingSince,
      snoozed_until: state === 'snoozed' ? lastTime + 86_400 * dice.int(1, 14) : null,
      open: state !== 'closed',
      state,
      read: dice.chance(0.8),
      priority: dice.chance(0.1) ? 'high' : 'none',
      admin_assignee_id: assignee ? assignee.id : null,
      team_assignee_id: team ? team.id : null,
      tags: { type: 'tag.list', tags: conversationTags },
      conversation_rating: rated
        ? {
            rating: dice.int(1, 5),
            remark: dice.pick(RATING_REMARKS),
            created_at: closedAt,
            updated_at: closedAt,
            contact: { type: 'contact', id: contact.id, external_id: contact.external_id ?? null },
            teammate: { type: 'admin', id: someAdmin().id },
          }
        : null,
      source,
      contacts: {
        type: 'contact.list',
        contacts: [{ type: 'contact', id: contact.id, external_id: contact.external_id ?? null }],
      },
      teammates: { type: 'admin.list', admins: teammates.map((adminId) => ({ type: 'admin', id: adminId })) },
      first_contact_reply: adminInitiated
        ? contactReplies.length > 0
          ? {
              created_at: (contactReplies[0] as ConversationPart).created_at,
              type: 'conversation',
              url: null,
            }
          : null
        : { created_at: createdAt, type: 'conversation', url: source.url },
      custom_attributes: customAttributes,
      statistics: {
        type: 'conversation_statistics',
        time_to_assignment: assignee ? 0 : null,
        time_to_admin_reply:
          adminReplies.length > 0 ? (adminReplies[0] as ConversationPart).created_at - createdAt : null,
        first_contact_reply_at: adminInitiated
          ? contactReplies.length > 0
            ? (contactReplies[0] as ConversationPart).created_at
            : null
          : createdAt,
        first_admin_reply_at:
          adminReplies.length > 0 ? (adminReplies[0] as ConversationPart).created_at : null,
        last_contact_reply_at:
          contactReplies.length > 0
            ? (contactReplies[contactReplies.length - 1] as ConversationPart).created_at
            : null,
        last_admin_reply_at:
          adminReplies.length > 0
            ? (adminReplies[adminReplies.length - 1] as ConversationPart).created_at
            : null,
        last_close_at: closedAt,
        count_reopens: parts.filter((part) => part.part_type === 'open').length,
        count_assignments: parts.filter((part) => part.part_type === 'assignment').length,
        count_conversation_parts: parts.length,
      },
      linked_objects: { type: 'list', data: [], total_count: 0, has_more: false },
      ai_agent_participated: parts.some((part) => part.author.type === 'bot'),
      ai_agent: null,
      conversation_parts: {
        type: 'conversation_part.list',
        conversation_parts: parts,
        total_count: parts.length,
      },
    };
  }
}
