/**
 * What an Intercom teammate does to a conversation besides writing in it, through the API: "Manage a
 * conversation" (POST /conversations/{id}/parts, message_type close | snoozed | open | assignment;
 * the request bodies of Intercom's API reference, as in intercom-node's ConversationsManageRequestBody)
 * and "Detach a tag from a conversation" (DELETE /conversations/{id}/tags/{tag_id} with admin_id).
 * Each leaves a conversation part (close, snoozed, open, assignment with assigned_to) and moves
 * updated_at, so a delta sync sees the conversation again.
 */
import { z } from 'zod';
import type { Author, Conversation } from '../../../clients/intercom/schemas.js';
import { invalid, notFound, type Reply, type SandboxContext } from '../http.js';
import type { Conversations } from './conversations.js';
import type { ConversationReplies } from './replies.js';

const Id = z.union([z.string(), z.number()]).transform(String);
const ManageRequest = z.discriminatedUnion('message_type', [
  z.looseObject({
    message_type: z.literal('close'),
    type: z.literal('admin'),
    admin_id: Id,
    body: z.string().optional(),
  }),
  z.looseObject({ message_type: z.literal('snoozed'), admin_id: Id, snoozed_until: z.number().int() }),
  z.looseObject({ message_type: z.literal('open'), admin_id: Id }),
  z.looseObject({
    message_type: z.literal('assignment'),
    type: z.enum(['admin', 'team']),
    admin_id: Id,
    assignee_id: Id,
    body: z.string().optional(),
  }),
]);

export class ConversationManagement {
  constructor(
    private readonly sandbox: SandboxContext,
    private readonly conversations: Conversations,
    private readonly replies: ConversationReplies,
  ) {}

  private admin(id: string): Author {
    const admin = this.sandbox.dataset.admins.find((a) => a.id === id);
    if (!admin) throw notFound('Admin not found');
    return { type: 'admin', id: admin.id, name: admin.name ?? null, email: admin.email ?? null };
  }

  /** POST /conversations/{id}/parts: answers the conversation, as Intercom does. */
  manage(id: string, body: unknown): Reply {
    const parsed = ManageRequest.safeParse(body ?? {});
    if (!parsed.success) throw invalid(`invalid request: ${parsed.error.issues[0]?.message ?? 'bad body'}`);
    const request = parsed.data;
    const conversation = this.conversations.or404(id);
    const author = this.admin(request.admin_id);
    const now = this.sandbox.nowSeconds();
    switch (request.message_type) {
      case 'close':
        this.replies.append(conversation, 'close', request.body ?? null, author, []);
        Object.assign(conversation, { state: 'closed', open: false, snoozed_until: null });
        break;
      case 'snoozed':
        if (request.snoozed_until <= now) throw invalid('snoozed_until must be in the future');
        this.replies.append(conversation, 'snoozed', null, author, []);
        Object.assign(conversation, { state: 'snoozed', open: true, snoozed_until: request.snoozed_until });
        break;
      case 'open':
        this.replies.append(conversation, 'open', null, author, []);
        Object.assign(conversation, { state: 'open', open: true, snoozed_until: null });
        break;
      case 'assignment': {
        // assignee_id 0 unassigns.
        const assignee = request.assignee_id === '0' ? null : request.assignee_id;
        if (request.type === 'admin' && assignee !== null) this.admin(assignee);
        if (
          request.type === 'team' &&
          assignee !== null &&
          !this.sandbox.dataset.teams.some((t) => t.id === assignee)
        ) {
          throw notFound('Team not found');
        }
        const part = this.replies.append(conversation, 'assignment', request.body ?? null, author, []);
        part.assigned_to = assignee === null ? null : { type: request.type, id: assignee };
        if (request.type === 'admin') conversation.admin_assignee_id = assignee;
        else conversation.team_assignee_id = assignee;
        break;
      }
    }
    this.conversations.changed();
    return { body: this.conversations.wire(conversation, { kind: 'none' }) };
  }

  /** DELETE /conversations/{id}/tags/{tag_id}: answers the tag. */
  untag(id: string, tagId: string, body: unknown): Reply {
    const request = z.looseObject({ admin_id: Id }).safeParse(body ?? {});
    if (!request.success) throw invalid('admin_id is required');
    const conversation: Conversation = this.conversations.or404(id, 'Conversation not found');
    this.admin(request.data.admin_id);
    const tags = conversation.tags?.tags ?? [];
    const applied = tags.find((t) => t.id === tagId);
    if (!applied) throw notFound('Tag not found');
    tags.splice(tags.indexOf(applied), 1);
    conversation.updated_at = Math.max(conversation.updated_at, this.sandbox.nowSeconds());
    this.conversations.changed();
    return { body: { type: 'tag', id: applied.id, name: applied.name } };
  }
}
