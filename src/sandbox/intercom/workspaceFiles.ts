/**
 * An Intercom workspace as a folder of Intercom API JSON responses, and the wire form shared with the
 * sandbox server (numeric ids where Intercom sends numbers, 0 for "unassigned", conversation
 * attributes in their /conversations/attributes shape).
 *
 * Folder layout (every JSON file is the body of the named GET, as Intercom returns it):
 *   me.json                       GET /me
 *   admins.json                   GET /admins                       {type:'admin.list', admins}
 *   teams.json                    GET /teams                        {type:'team.list', teams}
 *   tags.json                     GET /tags                         {type:'list', data}
 *   contacts.json                 GET /contacts, all pages merged   {type:'list', data, total_count}
 *                                 (each contact's tags and companies lists hold every reference)
 *   notes.json                    GET /contacts/{id}/notes of every contact, merged {type:'list', data}
 *   contact_merges.json           contacts merged away (410): {merges: {<merged id>: <id merged into>}}
 *   companies.json                GET /companies/scroll, merged     {type:'list', data, total_count}
 *   macros.json                   GET /macros, all pages merged     {type:'list', data}
 *   data_attributes.json          GET /data_attributes (contact and company, archived included)
 *   conversation_attributes.json  GET /conversations/attributes?include_archived=true
 *   collections.json              GET /help_center/collections, merged
 *   articles.json                 GET /articles, merged
 *   deleted_conversations.json    GET /conversations/deleted, merged {type:'conversations.list', conversations}
 *   conversations/<id>.json       GET /conversations/{id}, with ALL parts (may exceed the API's 500)
 *   tickets.json                  GET /tickets/{id} of every ticket, with all parts {type:'ticket.list', tickets}
 *   ticket_types.json             GET /ticket_types                 {type:'list', data}
 *   ticket_states.json            GET /ticket_states                {type:'list', data}
 *   attachments/<path>            raw bytes of each attachment, <path> as in its link
 *
 * Attachment links: a saved conversation keeps the sandbox placeholder
 * `intercom-sandbox-attachment:<path>`. A folder captured from the real API may hold real links
 * instead (https://downloads.intercomcdn.com/<path>?...); on load, any link whose URL path names a
 * file under attachments/ becomes a placeholder again, so the sandbox can serve it. Missing files are
 * optional: an absent list loads as empty.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { Note } from '../../clients/intercom/contactSchemas.js';
import {
  Admin,
  Article,
  Collection,
  Company,
  Contact,
  Conversation,
  DataAttribute,
  DeletedConversation,
  Macro,
  Tag,
  Team,
} from '../../clients/intercom/schemas.js';
import {
  ATTACHMENT_PLACEHOLDER_PATTERN,
  ATTACHMENT_PLACEHOLDER_PREFIX,
  type AttachmentDescriptor,
  attachmentPlaceholder,
  type IntercomDataset,
} from './dataset.js';
import { loadTicketFiles, ticketAttachmentDescriptions, ticketFiles } from './ticketFiles.js';

type Json = Record<string, unknown>;
type AdminT = z.infer<typeof Admin>;
type ArticleT = z.infer<typeof Article>;
type ConversationT = z.infer<typeof Conversation>;
type DataAttributeT = z.infer<typeof DataAttribute>;
type TeamT = z.infer<typeof Team>;

/** Intercom sends these ids as JSON numbers although they are strings everywhere else. */
export function wireNumber(id: string | null | undefined): number | string | null {
  if (id === null || id === undefined) return null;
  if (/^\d+$/.test(id) && Number.isSafeInteger(Number(id))) return Number(id);
  return id;
}

export interface WireOptions {
  /** Turns an attachment path into the link to publish; without it the placeholders stay. */
  attachmentUrl?: (path: string) => string;
}

function rewriteLinks(text: string, options: WireOptions): string;
function rewriteLinks(text: string | null | undefined, options: WireOptions): string | null | undefined;
function rewriteLinks(text: string | null | undefined, options: WireOptions): string | null | undefined {
  const mint = options.attachmentUrl;
  if (!mint || typeof text !== 'string' || !text.includes(ATTACHMENT_PLACEHOLDER_PREFIX)) return text;
  return text.replace(ATTACHMENT_PLACEHOLDER_PATTERN, (_match, path: string) => mint(path));
}

function messageToWire<T extends { body?: string | null; attachments: { url: string }[] }>(
  message: T,
  options: WireOptions,
): T {
  if (!options.attachmentUrl) return message;
  return {
    ...message,
    body: rewriteLinks(message.body, options),
    attachments: message.attachments.map((attachment) => ({
      ...attachment,
      url: rewriteLinks(attachment.url, options),
    })),
  };
}

export type PartsSelection =
  /** The list endpoints: no conversation_parts at all. */
  | { kind: 'none' }
  /** Every part (the folder format). */
  | { kind: 'all' }
  /** GET /conversations/{id}: the `cap` most recent parts, as the API documents. */
  | { kind: 'latest'; cap: number };

/**
 * statistics.count_conversation_parts as the workspace holds it: a folder captured from the real API
 * holds at most the 500 parts GET /conversations/{id} returned while this counts them all, and that
 * difference is how a migration knows older parts are missing. Counted only when absent.
 */
export function countParts(conversation: ConversationT): number {
  const counted = conversation.statistics?.count_conversation_parts;
  return typeof counted === 'number'
    ? counted
    : (conversation.conversation_parts?.conversation_parts.length ?? 0);
}

/** A conversation as Intercom sends it. */
export function conversationToWire(
  conversation: ConversationT,
  parts: PartsSelection,
  options: WireOptions = {},
): Json {
  const { conversation_parts: partList, ...rest } = conversation;
  const allParts = partList?.conversation_parts ?? [];
  const wire: Json = {
    ...rest,
    // The API documents 0 for "not assigned" and sends these two ids as numbers.
    admin_assignee_id: wireNumber(conversation.admin_assignee_id) ?? 0,
    team_assignee_id: wireNumber(conversation.team_assignee_id) ?? 0,
    source: messageToWire(conversation.source, options),
  };
  if (conversation.statistics) {
    wire.statistics = { ...conversation.statistics, count_conversation_parts: countParts(conversation) };
  }
  if (parts.kind === 'none') return wire;
  if (parts.kind === 'all' && !partList) return { ...wire, conversation_parts: partList };
  const selected =
    parts.kind === 'latest' ? allParts.slice(Math.max(0, allParts.length - parts.cap)) : allParts;
  wire.conversation_parts = {
    ...(partList ?? {}),
    type: 'conversation_part.list',
    conversation_parts: selected.map((part) => messageToWire(part, options)),
    total_count: selected.length,
  };
  return wire;
}

export function adminToWire(admin: AdminT): Json {
  return { ...admin, team_ids: admin.team_ids.map(wireNumber) };
}

export function teamToWire(team: TeamT): Json {
  return { ...team, admin_ids: team.admin_ids.map(wireNumber) };
}

export function articleToWire(article: ArticleT): Json {
  return {
    ...article,
    author_id: wireNumber(article.author_id),
    parent_id: wireNumber(article.parent_id),
    parent_ids: article.parent_ids ? article.parent_ids.map(wireNumber) : article.parent_ids,
  };
}

export function dataAttributeToWire(attribute: DataAttributeT): Json {
  if (attribute.id === null || attribute.id === undefined) return { ...attribute };
  return { ...attribute, id: wireNumber(attribute.id) };
}

/** Option ids are UUIDs in the API; derived from (attribute, label) so they stay stable. */
function optionId(attributeId: string, label: string): string {
  const hex = createHash('sha256').update(`${attributeId}\0${label}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A conversation attribute in the shape of GET /conversations/attributes. */
export function conversationAttributeToWire(attribute: DataAttributeT): Json {
  const { model: _model, options, ...rest } = attribute;
  const id = String(attribute.id ?? attribute.name);
  const wire: Json = { ...rest, type: 'conversation_attribute', id: wireNumber(id) };
  if (options) wire.options = options.map((label) => ({ id: optionId(id, label), label, archived: false }));
  return wire;
}

function conversationAttributeFromWire(raw: unknown): DataAttributeT {
  const { type: _type, options, ...rest } = z.looseObject({}).parse(raw);
  const labels = Array.isArray(options)
    ? options.map((option) => z.looseObject({ label: z.string() }).parse(option).label)
    : options;
  return DataAttribute.parse({
    ...rest,
    ...(labels === undefined ? {} : { options: labels }),
    model: 'conversation',
  });
}

const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** Attachment paths become file paths: relative, '/'-separated, no empty, '.' or '..' segments. */
export function isSafeAttachmentPath(path: string): boolean {
  if (path.length === 0 || path.length > 1_000 || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Numeric ids in numeric order, other ids after them in text order. */
export function compareIds(a: string, b: string): number {
  const numericA = /^\d+$/.test(a);
  const numericB = /^\d+$/.test(b);
  if (numericA && numericB) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes the dataset as a folder of Intercom API responses (layout in this file's header). The folder
 * must be new or empty, so that a stale conversation file can never be loaded back by mistake.
 */
export async function saveWorkspace(dataset: IntercomDataset, dir: string): Promise<void> {
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0) throw new Error(`saveWorkspace: ${dir} is not empty`);
  await mkdir(dir, { recursive: true });
  const conversationAttributes = dataset.dataAttributes.filter((a) => a.model === 'conversation');
  const otherAttributes = dataset.dataAttributes.filter((a) => a.model !== 'conversation');
  await writeJson(join(dir, 'me.json'), adminToWire(dataset.me));
  await writeJson(join(dir, 'admins.json'), { type: 'admin.list', admins: dataset.admins.map(adminToWire) });
  await writeJson(join(dir, 'teams.json'), { type: 'team.list', teams: dataset.teams.map(teamToWire) });
  await writeJson(join(dir, 'tags.json'), { type: 'list', data: dataset.tags });
  await writeJson(join(dir, 'contacts.json'), {
    type: 'list',
    data: dataset.contacts,
    total_count: dataset.contacts.length,
  });
  await writeJson(join(dir, 'notes.json'), { type: 'list', data: dataset.notes ?? [] });
  await writeJson(join(dir, 'contact_merges.json'), { merges: dataset.contactMerges ?? {} });
  await writeJson(join(dir, 'companies.json'), {
    type: 'list',
    data: dataset.companies,
    total_count: dataset.companies.length,
  });
  await writeJson(join(dir, 'macros.json'), { type: 'list', data: dataset.macros });
  await writeJson(join(dir, 'data_attributes.json'), {
    type: 'list',
    data: otherAttributes.map(dataAttributeToWire),
  });
  await writeJson(join(dir, 'conversation_attributes.json'), {
    type: 'list',
    data: conversationAttributes.map(conversationAttributeToWire),
  });
  await writeJson(join(dir, 'collections.json'), {
    type: 'list',
    data: dataset.collections,
    total_count: dataset.collections.length,
  });
  await writeJson(join(dir, 'articles.json'), {
    type: 'list',
    data: dataset.articles.map(articleToWire),
    total_count: dataset.articles.length,
  });
  await writeJson(join(dir, 'deleted_conversations.json'), {
    type: 'conversations.list',
    conversations: dataset.deletedConversations,
    total_count: dataset.deletedConversations.length,
  });
  await mkdir(join(dir, 'conversations'), { recursive: true });
  for (const conversation of dataset.conversations) {
    if (!SAFE_ID.test(conversation.id))
      throw new Error(`saveWorkspace: unsafe conversation id ${conversation.id}`);
    await writeJson(
      join(dir, 'conversations', `${conversation.id}.json`),
      conversationToWire(conversation, { kind: 'all' }),
    );
  }
  for (const [name, body] of Object.entries(ticketFiles(dataset))) await writeJson(join(dir, name), body);
  for (const path of Object.keys(dataset.attachments)) {
    if (!isSafeAttachmentPath(path)) throw new Error(`saveWorkspace: unsafe attachment path ${path}`);
    const bytes = await dataset.readAttachment(path);
    if (!bytes) throw new Error(`saveWorkspace: no bytes for attachment ${path}`);
    const file = join(dir, 'attachments', ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
}

async function readJsonIfPresent(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`loadWorkspace: cannot read ${path}: ${(error as Error).message}`);
  }
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

function listOf<T extends z.ZodType>(raw: unknown, key: string, item: T, file: string): z.infer<T>[] {
  if (raw === undefined) return [];
  const parsed = z.looseObject({ [key]: z.array(z.unknown()) }).safeParse(raw);
  if (!parsed.success) throw new Error(`loadWorkspace: ${file} has no "${key}" array`);
  return (parsed.data[key] as unknown[]).map((value, index) => {
    const result = item.safeParse(value);
    if (!result.success) throw new Error(`loadWorkspace: ${file} item ${index}: ${result.error.message}`);
    return result.data;
  });
}

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
};

/** A real link whose URL path names a file under attachments/ becomes that file's placeholder. */
function localiseLink(link: string, known: Set<string>): string {
  if (link.startsWith(ATTACHMENT_PLACEHOLDER_PREFIX) || !/^https?:\/\//i.test(link)) return link;
  try {
    const path = new URL(link).pathname.replace(/^\/+/, '').split('/').map(decodeURIComponent).join('/');
    return known.has(path) ? attachmentPlaceholder(path) : link;
  } catch {
    return link;
  }
}

function localiseBody(body: string | null | undefined, known: Set<string>): string | null | undefined {
  if (typeof body !== 'string' || known.size === 0) return body;
  return body.replace(
    /(<img\b[^>]*?\bsrc=")([^"]+)(")/gi,
    (match, before: string, link: string, after: string) => {
      const localised = localiseLink(link.replace(/&amp;/g, '&'), known);
      return localised.startsWith(ATTACHMENT_PLACEHOLDER_PREFIX) ? `${before}${localised}${after}` : match;
    },
  );
}

/** Reads a folder written by saveWorkspace, or captured from the real API in the same layout. */
export async function loadWorkspace(dir: string): Promise<IntercomDataset> {
  const root = resolve(dir);
  const read = (name: string) => readJsonIfPresent(join(root, name));
  const attachmentRoot = join(root, 'attachments');
  const attachmentFiles = await listFiles(attachmentRoot);
  const known = new Set(attachmentFiles);

  const admins = listOf(await read('admins.json'), 'admins', Admin, 'admins.json');
  const meRaw = await read('me.json');
  const me =
    meRaw === undefined
      ? (admins[0] ?? Admin.parse({ type: 'admin', id: '0', name: 'Workspace owner', email: null }))
      : Admin.parse(meRaw);
  const dataAttributes = [
    ...listOf(await read('data_attributes.json'), 'data', DataAttribute, 'data_attributes.json'),
    ...listOf(
      await read('conversation_attributes.json'),
      'data',
      z.unknown(),
      'conversation_attributes.json',
    ).map(conversationAttributeFromWire),
  ];

  const conversationFiles = (await listFiles(join(root, 'conversations'))).filter(
    (name) => !name.includes('/') && name.endsWith('.json'),
  );
  const conversations: ConversationT[] = [];
  for (const name of conversationFiles) {
    const raw = z.looseObject({}).parse(await readJsonIfPresent(join(root, 'conversations', name)));
    // "Unassigned" arrives as 0 (or null in older captures); the dataset keeps null.
    for (const key of ['admin_assignee_id', 'team_assignee_id'] as const) {
      if (raw[key] === 0 || raw[key] === '0') raw[key] = null;
    }
    const result = Conversation.safeParse(raw);
    if (!result.success) throw new Error(`loadWorkspace: conversations/${name}: ${result.error.message}`);
    const conversation = result.data;
    const localise = <T extends { body?: string | null; attachments: { url: string }[] }>(message: T): T => ({
      ...message,
      body: localiseBody(message.body, known),
      attachments: message.attachments.map((attachment) => ({
        ...attachment,
        url: localiseLink(attachment.url, known),
      })),
    });
    conversation.source = localise(conversation.source);
    if (conversation.conversation_parts) {
      conversation.conversation_parts.conversation_parts =
        conversation.conversation_parts.conversation_parts.map(localise);
    }
    conversations.push(conversation);
  }
  conversations.sort((a, b) => compareIds(a.id, b.id));
  const ticketData = loadTicketFiles(
    {
      tickets: await read('tickets.json'),
      types: await read('ticket_types.json'),
      states: await read('ticket_states.json'),
    },
    { link: (url) => localiseLink(url, known), body: (body) => localiseBody(body, known) },
  );

  const attachments: Record<string, AttachmentDescriptor> = {};
  const described = new Map<string, { name?: string | null; content_type?: string | null }>();
  for (const conversation of conversations) {
    const messages = [conversation.source, ...(conversation.conversation_parts?.conversation_parts ?? [])];
    for (const message of messages) {
      for (const attachment of message.attachments) {
        if (attachment.url.startsWith(ATTACHMENT_PLACEHOLDER_PREFIX)) {
          const path = attachment.url.slice(ATTACHMENT_PLACEHOLDER_PREFIX.length);
          if (!described.has(path)) described.set(path, attachment);
        }
      }
    }
  }
  for (const [path, entry] of ticketAttachmentDescriptions(
    ticketData.tickets ?? [],
    ATTACHMENT_PLACEHOLDER_PREFIX,
  )) {
    if (!described.has(path)) described.set(path, entry);
  }
  for (const path of attachmentFiles) {
    const entry = described.get(path);
    const { size } = await stat(join(attachmentRoot, ...path.split('/')));
    attachments[path] = {
      name: entry?.name ?? basename(path),
      contentType:
        entry?.content_type ?? CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      size,
    };
  }

  return {
    me,
    admins,
    teams: listOf(await read('teams.json'), 'teams', Team, 'teams.json'),
    tags: listOf(await read('tags.json'), 'data', Tag, 'tags.json'),
    contacts: listOf(await read('contacts.json'), 'data', Contact, 'contacts.json'),
    notes: listOf(await read('notes.json'), 'data', Note, 'notes.json'),
    contactMerges: z
      .looseObject({ merges: z.record(z.string(), z.string()).default({}) })
      .parse((await read('contact_merges.json')) ?? {}).merges,
    companies: listOf(await read('companies.json'), 'data', Company, 'companies.json'),
    macros: listOf(await read('macros.json'), 'data', Macro, 'macros.json'),
    dataAttributes,
    collections: listOf(await read('collections.json'), 'data', Collection, 'collections.json'),
    articles: listOf(await read('articles.json'), 'data', Article, 'articles.json'),
    conversations,
    ...ticketData,
    deletedConversations: listOf(
      await read('deleted_conversations.json'),
      'conversations',
      DeletedConversation,
      'deleted_conversations.json',
    ),
    attachments,
    readAttachment: async (path) => {
      if (!isSafeAttachmentPath(path) || !(path in attachments)) return undefined;
      return readFile(join(attachmentRoot, ...path.split('/')));
    },
  };
}
