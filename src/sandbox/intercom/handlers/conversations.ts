/**
 * Conversations: the lists, one conversation with its most recent parts, the deleted list, tagging,
 * and the changes tests make through the sandbox handle (a new conversation, a deletion).
 *
 * GET /conversations has no parts; GET /conversations/{id} returns at most `partsCap` parts, the most
 * recent ones ("we will return the 500 most recent conversation parts"), while
 * statistics.count_conversation_parts keeps the real total.
 */
import { z } from 'zod';
import type { Conversation } from '../../../clients/intercom/schemas.js';
import {
  ApiError,
  invalid,
  notFound,
  type Reply,
  type RequestContext,
  type SandboxContext,
} from '../http.js';
import { keysetPage, pageNumber, perPage } from '../pagination.js';
import { isRecent } from '../versions.js';
import { compareIds, conversationToWire, type PartsSelection } from '../workspaceFiles.js';

export interface NewConversationInput {
  /** The contact who writes the opening message (default: the first contact). */
  contactId?: string;
  /** HTML of the opening message. */
  body?: string;
  subject?: string;
}

/** One more than the largest numeric id, so ids the sandbox mints never collide with the dataset's. */
export function nextNumericId(ids: Iterable<string | null | undefined>): number {
  let max = 0;
  // An opening message may have no id (the description lets source.id be null).
  for (const id of ids) max = Math.max(max, Number(id ?? 0) || 0);
  return max + 1;
}

export class Conversations {
  private revision = 0;
  private indexCache: { revision: number; length: number; byId: Map<string, Conversation> } | undefined;
  private nextSourceId: number;

  constructor(
    private readonly sandbox: SandboxContext,
    private readonly partsCap: number,
  ) {
    this.nextSourceId = nextNumericId(sandbox.dataset.conversations.map((c) => c.source.id));
  }

  all(): Conversation[] {
    return this.sandbox.dataset.conversations;
  }

  /** Records a change to the conversations, so the id index is rebuilt. */
  changed(): void {
    this.revision++;
  }

  find(id: string): Conversation | undefined {
    return this.index().get(id);
  }

  or404(id: string | undefined, message = 'Resource Not Found'): Conversation {
    const conversation = id === undefined ? undefined : this.index().get(id);
    if (!conversation) throw notFound(message);
    return conversation;
  }

  wire(conversation: Conversation, parts: PartsSelection): Record<string, unknown> {
    return conversationToWire(conversation, parts, {
      attachmentUrl: (path) => this.sandbox.signAttachmentUrl(path),
    });
  }

  private index(): Map<string, Conversation> {
    const list = this.sandbox.dataset.conversations;
    const cache = this.indexCache;
    if (cache && cache.revision === this.revision && cache.length === list.length) return cache.byId;
    const byId = new Map(list.map((conversation) => [conversation.id, conversation]));
    this.indexCache = { revision: this.revision, length: list.length, byId };
    return byId;
  }

  /** GET /conversations: newest updated first, keyset cursor on (updated_at, id). */
  list(url: URL): Reply {
    const size = perPage(url, 20, 150);
    const conversations = this.sandbox.dataset.conversations;
    const { items, total, pages } = keysetPage(url, conversations, size, (c) => c.updated_at, 'desc');
    return {
      body: {
        type: 'conversation.list',
        conversations: items.map((c) => this.wire(c, { kind: 'none' })),
        total_count: total,
        pages,
      },
    };
  }

  /** GET /conversations/{id}. */
  get(id: string | undefined): Reply {
    return { body: this.wire(this.or404(id), { kind: 'latest', cap: this.partsCap }) };
  }

  /** GET /conversations/deleted: only from version 2.15 on; numbered pages with an absolute `next`. */
  deleted({ url, versionRank }: RequestContext): Reply {
    if (!isRecent(versionRank)) {
      throw new ApiError(
        400,
        'intercom_version_invalid',
        'Requested resource is not available in current API version.',
      );
    }
    const size = perPage(url, 20, 60);
    const page = pageNumber(url);
    const order = url.searchParams.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw invalid('order must be asc or desc');
    const sign = order === 'asc' ? 1 : -1;
    const ordered = [...this.sandbox.dataset.deletedConversations].sort(
      (a, b) => sign * ((a.deleted_at ?? 0) - (b.deleted_at ?? 0) || compareIds(a.id, b.id)),
    );
    const totalPages = Math.ceil(ordered.length / size);
    return {
      body: {
        type: 'conversations.list',
        total_count: ordered.length,
        pages: {
          type: 'pages',
          next:
            page < totalPages
              ? `${this.sandbox.url}/conversations/deleted?per_page=${size}&order=${order}&page=${page + 1}`
              : null,
          page,
          per_page: size,
          total_pages: totalPages,
        },
        conversations: ordered.slice((page - 1) * size, page * size),
      },
    };
  }

  /** POST /conversations/{id}/tags. */
  tag(id: string, body: unknown): Reply {
    const { dataset } = this.sandbox;
    const request = z
      .looseObject({ id: z.union([z.string(), z.number()]), admin_id: z.union([z.string(), z.number()]) })
      .safeParse(body ?? {});
    if (!request.success) throw invalid('id and admin_id are required');
    const conversation = this.or404(id, 'Conversation not found');
    const tag = dataset.tags.find((t) => t.id === String(request.data.id));
    if (!tag) throw notFound('Tag not found');
    const adminId = String(request.data.admin_id);
    if (!dataset.admins.some((admin) => admin.id === adminId)) throw notFound('Admin not found');
    conversation.tags ??= { type: 'tag.list', tags: [] };
    const tags = conversation.tags;
    let applied = tags.tags.find((t) => t.id === tag.id);
    if (!applied) {
      const now = this.sandbox.nowSeconds();
      applied = {
        type: 'tag',
        id: tag.id,
        name: tag.name,
        applied_at: now,
        applied_by: { type: 'admin', id: adminId },
      };
      tags.tags.push(applied);
      // Tagging is an update of the conversation: delta syncs see it again.
      conversation.updated_at = Math.max(conversation.updated_at, now);
      this.changed();
    }
    return {
      body: {
        type: 'tag',
        id: tag.id,
        name: tag.name,
        applied_at: applied.applied_at,
        applied_by: applied.applied_by,
      },
    };
  }

  /** A new open conversation created now; it appears in lists and searches from now on. */
  add(input: NewConversationInput = {}): Conversation {
    const { dataset } = this.sandbox;
    const contact =
      input.contactId === undefined
        ? dataset.contacts[0]
        : dataset.contacts.find((c) => c.id === input.contactId);
    if (!contact) throw new Error(`no contact ${input.contactId ?? '(any)'} in the sandbox`);
    const ids = [...dataset.conversations.map((c) => c.id), ...dataset.deletedConversations.map((d) => d.id)]
      .filter((id) => /^\d+$/.test(id))
      .map(Number);
    const id = String(Math.max(1_000, ...ids) + 1);
    const now = this.sandbox.nowSeconds();
    const conversation: Conversation = {
      type: 'conversation',
      id,
      title: null,
      created_at: now,
      updated_at: now,
      waiting_since: now,
      snoozed_until: null,
      open: true,
      state: 'open',
      read: false,
      priority: 'none',
      admin_assignee_id: null,
      team_assignee_id: null,
      tags: { type: 'tag.list', tags: [] },
      conversation_rating: null,
      source: {
        type: 'conversation',
        id: String(this.nextSourceId++),
        delivered_as: 'customer_initiated',
        subject: input.subject ?? '',
        body: input.body ?? '<p>Hello, I have a new question.</p>',
        author: {
          type: contact.role,
          id: contact.id,
          name: contact.name ?? null,
          email: contact.email ?? null,
        },
        attachments: [],
        url: null,
        redacted: false,
      },
      contacts: {
        type: 'contact.list',
        contacts: [{ type: 'contact', id: contact.id, external_id: contact.external_id ?? null }],
      },
      teammates: { type: 'admin.list', admins: [] },
      first_contact_reply: { created_at: now, type: 'conversation', url: null },
      custom_attributes: {},
      statistics: { type: 'conversation_statistics', count_conversation_parts: 0 },
      linked_objects: { type: 'list', data: [], total_count: 0, has_more: false },
      ai_agent_participated: false,
      ai_agent: null,
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [], total_count: 0 },
    };
    dataset.conversations.push(conversation);
    this.changed();
    return conversation;
  }

  /** Removes the conversation and lists it under GET /conversations/deleted. */
  delete(id: string): void {
    const { dataset } = this.sandbox;
    const index = dataset.conversations.findIndex((c) => c.id === id);
    if (index < 0) throw new Error(`no conversation ${id} in the sandbox`);
    dataset.conversations.splice(index, 1);
    dataset.deletedConversations.push({
      type: 'conversation',
      id,
      metrics_retained: false,
      deleted_at: this.sandbox.nowSeconds(),
    });
    this.changed();
  }
}
