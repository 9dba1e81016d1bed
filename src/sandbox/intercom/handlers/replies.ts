/**
 * Conversation parts written through the API (POST /conversations/{id}/reply) or the sandbox handle,
 * with the side effects a reply has in Intercom: updated_at moves, a customer's reply reopens the
 * conversation, an admin's comment stops the wait.
 */
import { z } from 'zod';
import type {
  Author,
  Conversation,
  ConversationPart,
  PartAttachment,
} from '../../../clients/intercom/schemas.js';
import { invalid, notFound, type Reply, type SandboxContext } from '../http.js';
import { type Conversations, nextNumericId } from './conversations.js';

export class ConversationReplies {
  private nextPartId: number;

  constructor(
    private readonly sandbox: SandboxContext,
    private readonly conversations: Conversations,
  ) {
    this.nextPartId = nextNumericId(
      sandbox.dataset.conversations.flatMap(
        (c) => c.conversation_parts?.conversation_parts.map((p) => p.id) ?? [],
      ),
    );
  }

  /** POST /conversations/{id}/reply, as an admin or as a contact; `last` is the contact's latest. */
  reply(id: string, body: unknown): Reply {
    const { dataset } = this.sandbox;
    const request = z
      .looseObject({
        message_type: z.string(),
        type: z.string(),
        body: z.string().optional(),
        admin_id: z.union([z.string(), z.number()]).optional(),
        intercom_user_id: z.string().optional(),
        user_id: z.string().optional(),
        email: z.string().optional(),
        created_at: z.number().int().optional(),
        attachment_urls: z.array(z.url()).max(10).optional(),
      })
      .safeParse(body ?? {});
    if (!request.success) throw invalid(`invalid reply: ${request.error.issues[0]?.message ?? 'bad body'}`);
    const r = request.data;
    let author: Author;
    let partType: string;
    if (r.type === 'admin') {
      if (!['comment', 'note', 'quick_reply'].includes(r.message_type))
        throw invalid('message_type is invalid');
      const admin = dataset.admins.find((a) => a.id === String(r.admin_id ?? ''));
      if (!admin) throw notFound('Admin not found');
      author = { type: 'admin', id: admin.id, name: admin.name ?? null, email: admin.email ?? null };
      partType = r.message_type;
    } else if (r.type === 'user' || r.type === 'contact') {
      if (r.message_type !== 'comment') throw invalid('message_type must be comment for contact replies');
      const contact = dataset.contacts.find(
        (c) =>
          (r.intercom_user_id !== undefined && c.id === r.intercom_user_id) ||
          (r.user_id !== undefined && c.external_id === r.user_id) ||
          (r.email !== undefined && c.email?.toLowerCase() === r.email.toLowerCase()),
      );
      if (!contact) throw notFound('User Not Found');
      author = {
        type: contact.role,
        id: contact.id,
        name: contact.name ?? null,
        email: contact.email ?? null,
      };
      partType = 'comment';
      if (id === 'last') {
        const theirs = dataset.conversations.filter((c) =>
          c.contacts?.contacts.some((ref) => ref.id === contact.id),
        );
        const latest = theirs.sort((a, b) => b.updated_at - a.updated_at)[0];
        if (!latest) throw notFound('Conversation not found');
        id = latest.id;
      }
    } else {
      throw invalid('type must be admin or user');
    }
    if ((partType === 'comment' || partType === 'note') && !r.body) throw invalid('body is required');
    const conversation = this.conversations.or404(id);
    const attachments: PartAttachment[] = (r.attachment_urls ?? []).map((link) => ({
      type: 'upload',
      name: new URL(link).pathname.split('/').pop() || 'file',
      url: link,
      content_type: null,
      filesize: null,
    }));
    const part = this.append(conversation, partType, r.body ?? null, author, attachments, r.created_at);
    // The answer is the conversation carrying only the part just created.
    const wire = this.conversations.wire(conversation, { kind: 'none' });
    const withPart = this.conversations.wire(
      { ...conversation, conversation_parts: { type: 'conversation_part.list', conversation_parts: [part] } },
      { kind: 'all' },
    );
    wire.conversation_parts = withPart.conversation_parts;
    return { body: wire };
  }

  /** Adds a comment part now and bumps updated_at, as a reply in Intercom would. */
  replyAs(id: string, body: string, author: Author): ConversationPart {
    const conversation = this.conversations.find(id);
    if (!conversation) throw new Error(`no conversation ${id} in the sandbox`);
    return this.append(conversation, 'comment', body, author, []);
  }

  /** Appends a part now (or at createdAt) with a reply's side effects; manage.ts adds state changes. */
  append(
    conversation: Conversation,
    partType: string,
    body: string | null,
    author: Author,
    attachments: PartAttachment[],
    createdAt?: number,
  ): ConversationPart {
    conversation.conversation_parts ??= {
      type: 'conversation_part.list',
      conversation_parts: [],
      total_count: 0,
    };
    const parts = conversation.conversation_parts;
    const last = parts.conversation_parts[parts.conversation_parts.length - 1];
    const floor = Math.max(conversation.created_at, last ? last.created_at : 0) + 1;
    const at = createdAt ?? Math.max(this.sandbox.nowSeconds(), floor);
    const part: ConversationPart = {
      type: 'conversation_part',
      id: String(this.nextPartId++),
      part_type: partType,
      body,
      created_at: at,
      updated_at: at,
      notified_at: at,
      assigned_to: null,
      author,
      attachments,
      external_id: null,
      redacted: false,
    };
    parts.conversation_parts.push(part);
    parts.total_count = parts.conversation_parts.length;
    conversation.updated_at = Math.max(conversation.updated_at, at, this.sandbox.nowSeconds());
    // One more than before: a captured conversation may count more parts than the folder holds.
    if (conversation.statistics) {
      const before = conversation.statistics.count_conversation_parts;
      conversation.statistics.count_conversation_parts =
        typeof before === 'number' ? before + 1 : parts.conversation_parts.length;
    }
    const fromContact = author.type === 'user' || author.type === 'lead' || author.type === 'contact';
    if (fromContact && partType === 'comment') {
      // A customer writing into a closed or snoozed conversation reopens it.
      if (conversation.state !== 'open') {
        conversation.state = 'open';
        conversation.open = true;
        conversation.snoozed_until = null;
      }
      conversation.waiting_since ??= at;
    } else if (author.type === 'admin' && partType === 'comment') {
      conversation.waiting_since = null;
    }
    this.conversations.changed();
    return part;
  }
}
