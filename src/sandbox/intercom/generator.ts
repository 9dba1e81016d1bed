/**
 * A deterministic Intercom workspace (API 2.16 shapes) for the sandbox: the same options and seed
 * always give the same dataset, byte for byte, so tests, the demo and the benchmark are repeatable.
 *
 * The data is shaped after what real workspaces hold, including the awkward parts the migration must
 * survive: contacts whose emails differ only by case, phones that are not E.164, contacts with no way
 * to reach them, conversations over the 500-part limit, part types nobody documented, HTML with
 * scripts, bodies over Chatwoot's 150,000-character limit, unsafe attachment names, and ids that come
 * as numbers on the wire although they are strings everywhere else.
 *
 * Attachments are described by a stable path; their bytes are produced on demand from (seed, path), so
 * a workspace with thousands of attachments costs no memory until one is downloaded. Conversations keep
 * placeholder links (`attachmentPlaceholder(path)`); the server mints signed, expiring links when it
 * answers.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { z } from 'zod';
import type {
  Admin,
  Article,
  Author,
  Collection,
  Company,
  Contact,
  Conversation,
  ConversationPart,
  DataAttribute,
  DeletedConversation as DeletedConversationSchema,
  Macro,
  PartAttachment,
  Tag,
  Team,
} from '../../clients/intercom/schemas.js';
import { seededRandom } from '../faults.js';

export type DeletedConversation = z.infer<typeof DeletedConversationSchema>;

export interface AttachmentDescriptor {
  /** The file name as the uploader gave it: may be unsafe ("../../etc/passwd"). */
  name: string;
  contentType: string;
  size: number;
}

/**
 * A whole Intercom workspace as the sandbox serves it. Every object is in the parsed form of the
 * schemas in src/clients/intercom/schemas.ts (ids are strings, unassigned assignees are null); the
 * server turns them into the wire form (numeric ids where Intercom sends numbers, 0 for "unassigned").
 */
export interface IntercomDataset {
  /** GET /me: the admin owning the token, with the `app` (workspace). */
  me: Admin;
  admins: Admin[];
  teams: Team[];
  tags: Tag[];
  contacts: Contact[];
  companies: Company[];
  macros: Macro[];
  /** Attribute definitions of the models contact, company and conversation (`model` says which). */
  dataAttributes: DataAttribute[];
  collections: Collection[];
  articles: Article[];
  /** Full conversations with all their parts (possibly more than the API's 500), ascending by id. */
  conversations: Conversation[];
  /** Conversations deleted in Intercom, as GET /conversations/deleted lists them. */
  deletedConversations: DeletedConversation[];
  /** Attachment path -> what the file is; the bytes come from readAttachment. */
  attachments: Record<string, AttachmentDescriptor>;
  /** The bytes of one attachment, or undefined when the path is unknown. */
  readAttachment: (path: string) => Promise<Buffer | undefined>;
}

export interface GenerateOptions {
  seed: number;
  conversations: number;
  /** Mean number of parts per conversation; each conversation varies around it (default 6). */
  partsPerConversation?: number;
  /** Default: half the conversations, at least 1. */
  contacts?: number;
  /** Contacts whose email repeats another contact's, differing only by letter case. */
  caseDuplicateContacts?: number;
  /** Every Nth message (sources and comment/note parts) carries 1-3 attachments; 0 = none (default 5). */
  attachmentEvery?: number;
  /** Every Nth message body holds an inline <img> (default 9; 0 = none). */
  inlineImageEvery?: number;
  /** Conversations with more than 500 parts (520-600). */
  longConversations?: number;
  admins?: number;
  teams?: number;
  tags?: number;
  macros?: number;
  companies?: number;
  collections?: number;
  articles?: number;
  /** Deleted conversation ids listed by /conversations/deleted (default 1 per 25 conversations). */
  deletedConversations?: number;
  /** Unix seconds of the first conversation (default 1_600_000_000, so output is stable). */
  startTime?: number;
}

/** Conversations keep this in place of a signed link; the server replaces it when answering. */
export const ATTACHMENT_PLACEHOLDER_PREFIX = 'intercom-sandbox-attachment:';

export function attachmentPlaceholder(path: string): string {
  return `${ATTACHMENT_PLACEHOLDER_PREFIX}${path}`;
}

/** Matches placeholders inside HTML bodies and attachment urls; group 1 is the path. */
export const ATTACHMENT_PLACEHOLDER_PATTERN = /intercom-sandbox-attachment:([A-Za-z0-9._~%/-]+)/g;

/** Chatwoot's message limit; one generated body exceeds it so that splitting is exercised. */
const LONG_BODY_CHARS = 150_000;
const LONG_ARTICLE_CHARS = 20_000;

class Dice {
  constructor(private readonly random: () => number) {}

  float(): number {
    return this.random();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }
}

interface Person {
  first: string;
  last: string;
  /** ASCII spelling for email addresses. */
  slug: string;
}

const PEOPLE: readonly Person[] = [
  { first: 'Ann', last: 'Lee', slug: 'ann.lee' },
  { first: 'Bruno', last: 'Schäfer', slug: 'bruno.schaefer' },
  { first: 'Chloé', last: 'Martin', slug: 'chloe.martin' },
  { first: 'Dmitri', last: 'Ivanov', slug: 'dmitri.ivanov' },
  { first: 'Emeka', last: 'Okafor', slug: 'emeka.okafor' },
  { first: 'Fatima', last: 'Al-Sayed', slug: 'fatima.alsayed' },
  { first: 'Grace', last: "O'Neill", slug: 'grace.oneill' },
  { first: 'Hiro', last: 'Tanaka', slug: 'hiro.tanaka' },
  { first: 'Ingrid', last: 'Øvergård', slug: 'ingrid.overgard' },
  { first: 'José', last: 'García', slug: 'jose.garcia' },
  { first: 'Kwame', last: 'Mensah', slug: 'kwame.mensah' },
  { first: 'Li', last: '王', slug: 'li.wang' },
  { first: 'Zoë', last: 'Łukasiewicz', slug: 'zoe.lukasiewicz' },
  { first: 'Priya', last: 'Raman', slug: 'priya.raman' },
];

const EMAIL_DOMAINS = ['example.com', 'mail.test', 'acme.io', 'beispiel.de', 'shop.example.org'];
const CITIES = [
  { country: 'Germany', region: 'Bavaria', city: 'Munich' },
  { country: 'United States', region: 'California', city: 'San Francisco' },
  { country: 'France', region: 'Île-de-France', city: 'Paris' },
  { country: 'Japan', region: 'Tokyo', city: 'Tokyo' },
  { country: 'Nigeria', region: 'Lagos', city: 'Lagos' },
];
const ADMIN_NAMES = [
  'Alice Support',
  'Bob Billing',
  'Carla Success',
  'Deepak Ops',
  'Eva Nightshift',
  'Farid Tier2',
  'Gemma Lead',
  'Hugo Weekend',
];
const TEAM_NAMES = ['Support', 'Billing', 'Tier 2', 'VIP', 'Onboarding', 'Night shift'];
/** Tag names as people type them: spaces, dots, capitals and punctuation that Chatwoot labels reject. */
const TAG_NAMES = [
  'billing',
  'Bug Report',
  'VIP customer',
  'refund.request',
  'Feature Request',
  'urgent!',
  'onboarding',
  'Churn risk',
  'v2.3 regression',
  'GDPR',
];
const MACRO_TEMPLATES = [
  {
    name: 'Order status update',
    body: '<p>Hi <attribute key="user.name" default="there"/>, your order #<attribute key="order.number"/> is on its way!</p>',
    text: 'Hi {{user.name|fallback:"there"}}, your order #{{order.number}} is on its way!',
  },
  {
    name: 'Welcome message',
    body: '<p>Welcome! I\'m <attribute key="teammate.name"/>. How can I help you today?</p>',
    text: "Welcome! I'm {{teammate.name}}. How can I help you today?",
  },
  {
    name: 'Refund process',
    body: '<p>Your refund for <b>#<attribute key="conversation.custom_attributes.Order number"/></b> takes 3-5 business days.</p>',
    text: 'Your refund for #{{conversation.custom_attributes.Order number}} takes 3-5 business days.',
  },
  {
    name: 'Password reset',
    body: '<p>Use <a href="https://app.example.com/reset">this link</a> to reset your password.</p><ul><li>Check spam</li><li>Links expire in 1 hour</li></ul>',
    text: 'Use this link to reset your password. Check spam. Links expire in 1 hour.',
  },
  {
    name: 'Closing note 👋',
    body: '<p>Glad we could help 😊 Have a great day!</p>',
    text: 'Glad we could help 😊 Have a great day!',
  },
];

const USER_BODIES: readonly ((n: number) => string)[] = [
  () => "<p>Hi, I can't log in since this morning.</p>",
  (n) =>
    `<p>My order <b>#${n}</b> hasn't arrived. Tracking: <a href="https://track.example.com/${n}">link</a></p>`,
  () =>
    '<p>Steps to reproduce:</p><ol><li>Open settings</li><li>Click <i>Export</i></li><li>Nothing happens</li></ol>',
  () =>
    '<p>Error log:</p><pre><code>TypeError: cannot read properties of undefined\n  at main.js:12:7</code></pre>',
  () => '<p>Danke für die schnelle Hilfe! 🙏 Grüße aus München</p>',
  () => '<p>你好，我的账户被锁定了。😅</p>',
  () => '<p>Line one<br>Line two<br>Line three &amp; more &lt;stuff&gt;</p>',
  (n) => `<p>Can I get a refund for invoice INV-${n}? I was charged twice 💳💳</p>`,
];
const ADMIN_BODIES: readonly ((n: number) => string)[] = [
  () => '<p>Thanks for reaching out! Let me look into this for you.</p>',
  () =>
    '<p>Could you try these steps?</p><ul><li>Clear your cache</li><li>Log out and back in</li></ul><p>Let me know!</p>',
  (n) => `<p>I've issued a refund of <b>€${(n % 90) + 10}.00</b>. It takes 3-5 business days.</p>`,
  () =>
    '<p>Here is the guide: <a href="https://help.example.com/articles/42-reset" target="_blank">Resetting your password</a></p>',
  () =>
    '<p>Run this:</p><pre><code>curl -H "Authorization: Bearer …" https://api.example.com/v1/me</code></pre>',
  () => '<p>Merci beaucoup ! Bonne journée ☀️</p>',
];
const NOTE_BODIES: readonly ((n: number) => string)[] = [
  () => '<p>Internal: customer is on the <b>Pro</b> plan, escalate to billing.</p>',
  (n) => `<p>Linked to bug <a href="https://tracker.example.com/BUG-${n}">BUG-${n}</a>.</p>`,
  () => '<p>Heads up: this is the third time this month 😬</p>',
];
const BOT_BODIES: readonly ((n: number) => string)[] = [
  () => '<p>Hi there 👋 A teammate will be with you shortly. Typical reply time: under 1 hour.</p>',
  () =>
    '<p>While you wait, these articles may help:</p><ul><li><a href="https://help.example.com/1">Billing FAQ</a></li></ul>',
];
const SUBJECTS = ['Login problem', 'Refund', 'Question about my invoice', 'Bug: export fails', 'Hello 👋'];
const RATING_REMARKS = ['', 'Great help, thanks!', 'Too slow.', 'Solved my problem 🎉', 'meh'];

const ATTACHMENT_KINDS = [
  {
    contentType: 'image/png',
    names: ['screenshot.png', 'Screen Shot 2020-09-14 at 10.22.31.png', 'photo (1).png', '图片.png'],
  },
  {
    contentType: 'application/pdf',
    names: [
      'invoice-2024.pdf',
      'report 2024?.pdf',
      'Contract<final>.pdf',
      `${'very-long-name-'.repeat(18)}.pdf`,
    ],
  },
  {
    contentType: 'text/plain',
    names: ['notes.txt', '../../etc/passwd', 'log:output|1.txt', '..\\..\\windows\\win.ini'],
  },
] as const;

/** Generates the workspace. Pure: the same options give a deep-equal dataset. */
export function generateWorkspace(options: GenerateOptions): IntercomDataset {
  const context = new WorkspaceBuilder(options);
  return context.build();
}

class WorkspaceBuilder {
  private readonly dice: Dice;
  private readonly seed: number;
  private readonly startTime: number;
  private readonly attachments: Record<string, AttachmentDescriptor> = {};
  private readonly appId: string;
  private readonly appNumber: number;
  private messageCount = 0;
  private bodyCount = 0;
  private attachmentCount = 0;
  private nextPartId = 9_000_000_000;
  private nextSourceId = 403_918_000;

  constructor(private readonly options: GenerateOptions) {
    this.seed = options.seed;
    this.dice = new Dice(seededRandom(options.seed));
    this.startTime = options.startTime ?? 1_600_000_000;
    this.appId = `sbx${this.dice.hex(5)}`;
    this.appNumber = this.dice.int(1_000_000, 9_999_999);
  }

  build(): IntercomDataset {
    const o = this.options;
    const conversationCount = Math.max(0, Math.floor(o.conversations));
    const admins = this.buildAdmins(o.admins ?? 5);
    const teams = this.buildTeams(o.teams ?? 2, admins);
    const tags = this.buildTags(o.tags ?? 6);
    const companies = this.buildCompanies(o.companies ?? 5);
    const contactCount = Math.max(1, o.contacts ?? Math.round(conversationCount / 2));
    const contacts = this.buildContacts(
      contactCount,
      o.caseDuplicateContacts ?? Math.min(2, Math.floor(contactCount / 10)),
      companies,
    );
    const dataAttributes = this.buildDataAttributes();
    const macros = this.buildMacros(o.macros ?? 4, teams);
    const collections = this.buildCollections(o.collections ?? 3);
    const articles = this.buildArticles(o.articles ?? 5, collections, admins);
    const { conversations, deleted } = this.buildConversations(conversationCount, {
      admins,
      teams,
      tags,
      contacts,
    });
    const me = this.buildMe(admins);
    const seed = this.seed;
    const attachments = this.attachments;
    return {
      me,
      admins,
      teams,
      tags,
      contacts,
      companies,
      macros,
      dataAttributes,
      collections,
      articles,
      conversations,
      deletedConversations: deleted,
      attachments,
      readAttachment: async (path) => {
        const descriptor = attachments[path];
        return descriptor ? generateAttachmentBytes(seed, path, descriptor) : undefined;
      },
    };
  }

  private buildMe(admins: Admin[]): Admin {
    const owner = admins[0] as Admin;
    return {
      ...owner,
      team_ids: [...owner.team_ids],
      email_verified: true,
      app: {
        type: 'app',
        id_code: this.appId,
        name: 'Sandbox Workspace',
        created_at: this.startTime - 86_400 * 900,
        secure: false,
        identity_verification: false,
        timezone: 'Europe/Berlin',
        region: 'US',
      },
    };
  }

  private buildAdmins(count: number): Admin[] {
    const admins: Admin[] = [];
    for (let i = 0; i < Math.max(1, count); i++) {
      const name = ADMIN_NAMES[i % ADMIN_NAMES.length] as string;
      const [first, last] = name.split(' ') as [string, string];
      // Intercom keeps admin emails as typed: mixed case, matched case-insensitively by Chatwoot.
      const email =
        i % 2 === 0
          ? `${first}.${last}@Example.com`
          : `${first.toLowerCase()}.${last.toLowerCase()}@example.com`;
      admins.push({
        type: 'admin',
        id: String(991_267_400 + i * 7),
        name: i < ADMIN_NAMES.length ? name : `${name} ${i}`,
        email: i < ADMIN_NAMES.length ? email : email.replace('@', `${i}@`),
        job_title: i === 0 ? 'Head of Support' : 'Support Engineer',
        away_mode_enabled: false,
        away_mode_reassign: false,
        has_inbox_seat: i !== count - 1 || count === 1,
        avatar: { image_url: null },
        team_ids: [],
      });
    }
    return admins;
  }

  private buildTeams(count: number, admins: Admin[]): Team[] {
    const teams: Team[] = [];
    for (let i = 0; i < count; i++) {
      const id = String(5_017_600 + i * 13);
      const members = admins.filter((_, index) => index % count === i);
      for (const admin of members) admin.team_ids.push(id);
      teams.push({
        type: 'team',
        id,
        name: TEAM_NAMES[i % TEAM_NAMES.length] + (i >= TEAM_NAMES.length ? ` ${i}` : ''),
        admin_ids: members.map((admin) => admin.id),
        admin_priority_level: { primary_admin_ids: null, secondary_admin_ids: null },
      });
    }
    return teams;
  }

  private buildTags(count: number): Tag[] {
    const tags: Tag[] = [];
    for (let i = 0; i < count; i++) {
      const name = TAG_NAMES[i % TAG_NAMES.length] + (i >= TAG_NAMES.length ? ` ${i}` : '');
      tags.push({ type: 'tag', id: String(102 + i * 3), name });
    }
    return tags;
  }

  private buildCompanies(count: number): Company[] {
    const companies: Company[] = [];
    for (let i = 0; i < count; i++) {
      const created = this.startTime - this.dice.int(86_400 * 30, 86_400 * 700);
      companies.push({
        type: 'company',
        id: this.dice.hex(24),
        company_id: `cmp-${1000 + i}`,
        app_id: this.appId,
        name:
          ['Acme GmbH', 'Globex Inc.', 'Initech', 'Umbrella Ltd', 'Hooli', 'Société Générale du Test'][
            i % 6
          ] + (i >= 6 ? ` ${i}` : ''),
        remote_created_at: created,
        created_at: created,
        updated_at: created + this.dice.int(0, 86_400 * 20),
        monthly_spend: this.dice.int(0, 5000),
        session_count: this.dice.int(0, 900),
        user_count: this.dice.int(1, 40),
        size: this.dice.int(1, 500),
        website: `https://company${i}.example.com`,
        industry: this.dice.pick(['SaaS', 'ecommerce', 'Logistics', 'Education']),
        plan:
          i % 3 === 0
            ? {}
            : { type: 'plan', id: String(300 + (i % 3)), name: i % 3 === 1 ? 'Pro' : 'Enterprise' },
        tags: { type: 'tag.list', tags: [] },
        segments: { type: 'segment.list', segments: [] },
        custom_attributes: {
          tier: this.dice.pick(['gold', 'silver', 'bronze']),
          region: this.dice.pick(['EMEA', 'AMER', 'APAC']),
        },
      });
    }
    return companies;
  }

  private phoneNumber(style: number, index: number): string {
    const digits = (length: number) => {
      let out = '';
      for (let i = 0; i < length; i++) out += String(this.dice.int(0, 9));
      return out;
    };
    switch (style % 5) {
      case 0:
        return `(555) 010-${2000 + index}`;
      case 1:
        return `+49151${digits(8)}`;
      case 2:
        return `+1 415 555 ${digits(4)}`;
      case 3:
        return `0151 ${digits(7)}`;
      default:
        return `+44 20 7946 ${digits(4)}`;
    }
  }

  private buildContacts(count: number, caseDuplicates: number, companies: Company[]): Contact[] {
    const contacts: Contact[] = [];
    for (let i = 0; i < count; i++) {
      const person = PEOPLE[i % PEOPLE.length] as Person;
      const role = i % 10 < 7 ? 'user' : 'lead';
      // The first contacts cover every kind of reachability so small workspaces have them all.
      const roll = this.dice.float();
      const kind =
        i === 1 || i === 2
          ? 'phone'
          : i === 3
            ? 'none'
            : roll < 0.62
              ? 'email'
              : roll < 0.8
                ? 'both'
                : roll < 0.92
                  ? 'phone'
                  : 'none';
      const domain = EMAIL_DOMAINS[i % EMAIL_DOMAINS.length] as string;
      let email: string | null = null;
      if (kind === 'email' || kind === 'both') {
        email = this.dice.chance(0.2)
          ? `${capitalise(person.slug)}${i}@${capitalise(domain)}`
          : `${person.slug}${i}@${domain}`;
      }
      const phone =
        kind === 'phone' || kind === 'both' ? this.phoneNumber(i === 2 ? 1 : i === 1 ? 0 : i, i) : null;
      const created = this.startTime - this.dice.int(86_400, 86_400 * 400);
      const company = companies.length > 0 && this.dice.chance(0.6) ? this.dice.pick(companies) : undefined;
      const id = this.dice.hex(24);
      const anonymousLead = role === 'lead' && this.dice.chance(0.3);
      contacts.push({
        type: 'contact',
        id,
        workspace_id: this.appId,
        external_id: role === 'user' ? `user-${1000 + i}` : null,
        role,
        email,
        email_domain: email ? (email.split('@')[1] as string).toLowerCase() : null,
        phone,
        name: anonymousLead ? null : `${person.first} ${person.last}`,
        owner_id: null,
        has_hard_bounced: false,
        marked_email_as_spam: false,
        unsubscribed_from_emails: this.dice.chance(0.1),
        created_at: created,
        updated_at: created + this.dice.int(0, 86_400 * 30),
        signed_up_at: role === 'user' ? created : null,
        last_seen_at: created + this.dice.int(0, 86_400 * 60),
        avatar: null,
        custom_attributes: {
          plan_tier: this.dice.pick(['free', 'pro', 'enterprise']),
          seats: this.dice.int(1, 250),
          beta_tester: this.dice.chance(0.3),
          signup_date: created,
          mrr: Math.round(this.dice.float() * 50_000) / 100,
          'Favourite colour': this.dice.pick(['blue', 'green', 'Ultraviolett 💜', '']),
        },
        location: { type: 'location', ...this.dice.pick(CITIES) },
        tags: { type: 'list', data: [], url: `/contacts/${id}/tags`, total_count: 0, has_more: false },
        companies: {
          type: 'list',
          data: company ? [{ id: company.id, type: 'company', url: `/companies/${company.id}` }] : [],
          url: `/contacts/${id}/companies`,
          total_count: company ? 1 : 0,
          has_more: false,
        },
        social_profiles: { type: 'list', data: [] },
      });
    }
    // Case duplicates: the last contacts take the email of the first ones that have one, re-cased.
    const sources = contacts.filter((contact) => contact.email);
    for (let j = 0; j < Math.min(caseDuplicates, sources.length, count - 1); j++) {
      const source = sources[j] as Contact;
      const target = contacts[count - 1 - j] as Contact;
      if (target === source) break;
      target.email = recase(source.email as string);
      target.email_domain = source.email_domain;
    }
    return contacts;
  }

  private buildDataAttributes(): DataAttribute[] {
    const at = this.startTime - 86_400 * 500;
    const standard = (model: string, name: string, label: string, dataType: string): DataAttribute => ({
      type: 'data_attribute',
      name,
      full_name: name,
      label,
      description: `The ${label.toLowerCase()}`,
      data_type: dataType,
      api_writable: false,
      ui_writable: false,
      messenger_writable: true,
      custom: false,
      archived: false,
      model,
    });
    let nextId = 30;
    const custom = (
      model: string,
      name: string,
      dataType: string,
      extra: { options?: string[]; archived?: boolean } = {},
    ): DataAttribute => {
      const attribute: DataAttribute = {
        id: String(nextId++),
        type: 'data_attribute',
        name,
        full_name: `custom_attributes.${name}`,
        label: name,
        description: '',
        data_type: dataType,
        api_writable: true,
        ui_writable: true,
        messenger_writable: false,
        custom: true,
        archived: extra.archived ?? false,
        admin_id: '991267400',
        created_at: at,
        updated_at: at,
        model,
      };
      if (extra.options) attribute.options = extra.options;
      return attribute;
    };
    const conversationAttribute = (
      name: string,
      dataType: string,
      extra: { options?: string[]; archived?: boolean } = {},
    ): DataAttribute => {
      const attribute: DataAttribute = {
        id: String(nextId++),
        name,
        description: '',
        data_type: dataType,
        required: false,
        visible_to_team_ids: [],
        archived: extra.archived ?? false,
        created_at: at,
        updated_at: at,
        admin_id: '991267400',
        model: 'conversation',
      };
      if (dataType === 'string') attribute.multiline = false;
      if (extra.options) attribute.options = extra.options;
      return attribute;
    };
    return [
      standard('contact', 'name', 'Name', 'string'),
      standard('contact', 'email', 'Email', 'string'),
      standard('contact', 'phone', 'Phone', 'string'),
      standard('contact', 'created_at', 'Signed up', 'date'),
      custom('contact', 'plan_tier', 'string', { options: ['free', 'pro', 'enterprise'] }),
      custom('contact', 'seats', 'integer'),
      custom('contact', 'beta_tester', 'boolean'),
      custom('contact', 'signup_date', 'date'),
      custom('contact', 'mrr', 'float'),
      custom('contact', 'Favourite colour', 'string'),
      custom('contact', 'legacy_score', 'integer', { archived: true }),
      standard('company', 'name', 'Company name', 'string'),
      standard('company', 'company_id', 'Company ID', 'string'),
      standard('company', 'created_at', 'Created at', 'date'),
      custom('company', 'tier', 'string'),
      custom('company', 'region', 'string', { options: ['EMEA', 'AMER', 'APAC'] }),
      conversationAttribute('Order number', 'string'),
      conversationAttribute('Escalation reason', 'list', { options: ['billing', 'bug', 'other'] }),
      conversationAttribute('Refund amount', 'decimal'),
      conversationAttribute('Follow up', 'boolean'),
      conversationAttribute('Legacy queue', 'string', { archived: true }),
    ];
  }

  private buildMacros(count: number, teams: Team[]): Macro[] {
    const macros: Macro[] = [];
    for (let i = 0; i < count; i++) {
      const template = MACRO_TEMPLATES[i % MACRO_TEMPLATES.length] as (typeof MACRO_TEMPLATES)[number];
      const created = this.startTime - this.dice.int(86_400, 86_400 * 200);
      const updated = created + this.dice.int(0, 86_400 * 30);
      const teamOnly = i % 4 === 3 && teams.length > 0;
      macros.push({
        type: 'macro',
        id: String(123 + i * 11),
        name: template.name + (i >= MACRO_TEMPLATES.length ? ` (${i})` : ''),
        body: template.body,
        body_text: template.text,
        // Macros are the one object with ISO-8601 timestamps.
        created_at: new Date(created * 1000).toISOString(),
        updated_at: new Date(updated * 1000).toISOString(),
        visible_to: teamOnly ? 'specific_teams' : 'everyone',
        visible_to_team_ids: teamOnly ? [(teams[0] as Team).id] : [],
        available_on: ['inbox', 'messenger'],
      });
    }
    return macros;
  }

  private buildCollections(count: number): Collection[] {
    const collections: Collection[] = [];
    const names = ['Getting started', 'Billing & payments', 'Troubleshooting', 'API', 'Mobile app'];
    for (let i = 0; i < count; i++) {
      const created = this.startTime - this.dice.int(86_400 * 10, 86_400 * 300);
      const id = String(159 + i);
      // The last collection is a section nested in the first, as help centers nest them.
      const parent = i > 0 && i === count - 1 ? (collections[0] as Collection).id : null;
      collections.push({
        id,
        type: 'collection',
        workspace_id: this.appId,
        name: names[i % names.length] + (i >= names.length ? ` ${i}` : ''),
        url: `http://help-center.example.com/${this.appId}/collection-${id}`,
        order: i,
        created_at: created,
        updated_at: created + this.dice.int(0, 86_400 * 5),
        description: i % 2 === 0 ? `Articles about ${names[i % names.length]?.toLowerCase()}` : null,
        icon: 'bookmark',
        parent_id: parent,
        help_center_id: 79,
        default_locale: 'en',
      });
    }
    return collections;
  }

  private buildArticles(count: number, collections: Collection[], admins: Admin[]): Article[] {
    const articles: Article[] = [];
    for (let i = 0; i < count; i++) {
      const created = this.startTime - this.dice.int(86_400 * 5, 86_400 * 250);
      const collection =
        collections.length > 0 ? (collections[i % collections.length] as Collection) : undefined;
      const title =
        [
          'How to reset your password',
          'Understanding your invoice',
          'Exporting data',
          'Using the API',
          'Två språk: svenska',
        ][i % 5] + (i >= 5 ? ` (${i})` : '');
      let body =
        `<h1>${title}</h1><p>This article explains <b>${title.toLowerCase()}</b>.</p>` +
        '<ol><li>Open <i>Settings</i></li><li>Choose <code>Export</code></li></ol>' +
        '<p>See also <a href="https://help.example.com/articles/1">our FAQ</a> 📘</p>';
      if (i === 0) {
        // One article exceeds Chatwoot's 20,000-character limit for ordinary text fields.
        let section = 0;
        while (body.length <= LONG_ARTICLE_CHARS) {
          body += `<h2>Section ${++section}</h2><p>${'Detailed explanation of every option, with examples. '.repeat(8)}</p>`;
        }
      }
      const id = String(39 + i * 2);
      articles.push({
        type: 'article',
        id,
        workspace_id: this.appId,
        parent_ids: collection ? [collection.id] : [],
        title,
        description: i % 2 === 0 ? `A short guide: ${title}` : '',
        body,
        author_id: (admins[i % admins.length] as Admin).id,
        state: i % 4 === 3 ? 'draft' : 'published',
        created_at: created,
        updated_at: created + this.dice.int(0, 86_400 * 20),
        url: `http://help-center.example.com/${this.appId}/en/articles/${id}`,
        parent_id: collection ? collection.id : null,
        parent_type: collection ? 'collection' : null,
        default_locale: 'en',
      });
    }
    return articles;
  }

  private buildConversations(
    count: number,
    refs: { admins: Admin[]; teams: Team[]; tags: Tag[]; contacts: Contact[] },
  ): { conversations: Conversation[]; deleted: DeletedConversation[] } {
    const conversations: Conversation[] = [];
    const deleted: DeletedConversation[] = [];
    const deletedTarget =
      this.options.deletedConversations ?? (count > 0 ? Math.max(1, Math.floor(count / 25)) : 0);
    const longTarget = Math.min(this.options.longConversations ?? 0, count);
    const longIndexes = new Set<number>();
    for (let j = 0; j < longTarget; j++) longIndexes.add(Math.floor(((j + 0.5) * count) / longTarget));
    const longBodyIndex = count >= 50 ? Math.floor(count / 2) : -1;
    const deleteEvery = deletedTarget > 0 ? Math.max(1, Math.floor(count / deletedTarget)) : 0;
    let nextId = 1_000 + this.dice.int(0, 99);
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
          deleted_at: this.startTime + i * 1_800 + 86_400 * 30 + deleted.length,
        });
        nextId += 1;
      }
      const id = String(nextId);
      nextId += this.dice.int(1, 4);
      const partCount = longIndexes.has(i) ? this.dice.int(520, 600) : this.partCount();
      conversations.push(this.buildConversation(id, i, partCount, i === longBodyIndex, refs));
    }
    // Deletions the id sequence did not reach (tiny workspaces) still get ids beyond the last one.
    while (deleted.length < deletedTarget) {
      deleted.push({
        type: 'conversation',
        id: String(nextId++),
        metrics_retained: false,
        deleted_at: this.startTime + 86_400 * 31 + deleted.length,
      });
    }
    return { conversations, deleted };
  }

  private partCount(): number {
    const mean = Math.max(0, this.options.partsPerConversation ?? 6);
    if (mean === 0) return 0;
    // Uniform in [0, 2*mean] keeps the mean while giving short and long threads.
    return this.dice.int(0, Math.round(mean * 2));
  }

  private buildConversation(
    id: string,
    index: number,
    partCount: number,
    withLongBody: boolean,
    refs: { admins: Admin[]; teams: Team[]; tags: Tag[]; contacts: Contact[] },
  ): Conversation {
    const dice = this.dice;
    const contact = dice.pick(refs.contacts);
    const createdAt = this.startTime + index * 1_800 + dice.int(0, 1_700);
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
      email: `operator+${this.appId}@intercom.io`,
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
    const sourceBody = this.messageBody(adminInitiated ? ADMIN_BODIES : USER_BODIES, index);
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
        push('comment', contactAuthor, this.messageBody(USER_BODIES, index));
      } else if (roll < 0.72) {
        push('comment', adminAuthor(someAdmin()), this.messageBody(ADMIN_BODIES, index));
      } else if (roll < 0.78) {
        push('comment', bot, this.messageBody(BOT_BODIES, index));
      } else if (roll < 0.88) {
        push('note', adminAuthor(someAdmin()), this.messageBody(NOTE_BODIES, index));
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

  /** A message body plus the attachments it carries, advancing the every-Nth counters. */
  private messageBody(
    templates: readonly ((n: number) => string)[],
    seedNumber: number,
  ): { body: string; attachments: PartAttachment[] } {
    this.messageCount++;
    this.bodyCount++;
    const template = this.dice.pick(templates);
    let body = template(seedNumber * 7 + this.bodyCount);
    if (this.bodyCount % 37 === 0) {
      // Bodies are user-controlled HTML; sanitising must strip this before Chatwoot shows it.
      body += '<p>Click <a href="javascript:alert(1)">here</a></p><script>alert("xss")</script>';
    }
    const inlineEvery = this.options.inlineImageEvery ?? 9;
    if (inlineEvery > 0 && this.bodyCount % inlineEvery === 0) {
      const path = this.addInlineImage();
      body += `<div class="intercom-container"><img src="${attachmentPlaceholder(path)}"></div>`;
    }
    const attachEvery = this.options.attachmentEvery ?? 5;
    const attachments: PartAttachment[] = [];
    if (attachEvery > 0 && this.messageCount % attachEvery === 0) {
      const howMany = this.dice.int(1, 3);
      for (let k = 0; k < howMany; k++) attachments.push(this.addAttachment());
    }
    return { body, attachments };
  }

  private attachmentPath(slug: string): string {
    return `i/o/${this.appNumber}/${this.dice.hex(20)}/${slug}`;
  }

  private addAttachment(): PartAttachment {
    const n = this.attachmentCount++;
    const kind = ATTACHMENT_KINDS[n % ATTACHMENT_KINDS.length] as (typeof ATTACHMENT_KINDS)[number];
    const name = kind.names[Math.floor(n / ATTACHMENT_KINDS.length) % kind.names.length] as string;
    const path = this.attachmentPath(safeSlug(name, n));
    // Mostly small files with a long tail up to ~300 KB.
    const size = 1_024 + Math.floor(this.dice.float() ** 3 * 300 * 1_024);
    this.attachments[path] = { name, contentType: kind.contentType, size };
    const attachment: PartAttachment = {
      type: 'upload',
      name,
      url: attachmentPlaceholder(path),
      content_type: kind.contentType,
      filesize: size,
    };
    if (kind.contentType === 'image/png') {
      const { width, height } = imageDimensions(this.seed, path);
      attachment.width = width;
      attachment.height = height;
    }
    return attachment;
  }

  private addInlineImage(): string {
    const n = this.attachmentCount++;
    const name = `image-${n}.png`;
    const path = this.attachmentPath(name);
    this.attachments[path] = { name, contentType: 'image/png', size: this.dice.int(2_048, 40_960) };
    return path;
  }
}

function capitalise(text: string): string {
  return text
    .split('.')
    .map((piece) => piece.charAt(0).toUpperCase() + piece.slice(1))
    .join('.');
}

/** The same address in a different letter case ("ann@x.com" -> "Ann@X.Com", "Ann@X.Com" -> "ann@x.com"). */
function recase(email: string): string {
  const lower = email.toLowerCase();
  if (lower !== email) return lower;
  const [local, domain] = email.split('@') as [string, string];
  return `${capitalise(local)}@${capitalise(domain)}`;
}

/** A file-system and URL safe last path segment derived from an (unsafe) attachment name. */
function safeSlug(name: string, n: number): string {
  const slug = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80);
  return slug.length > 0 ? slug : `file-${n}`;
}

function pickDistinct<T>(dice: Dice, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0)
    out.push(pool.splice(dice.int(0, pool.length - 1), 1)[0] as T);
  return out;
}

function longHtmlBody(index: number): string {
  const lines: string[] = ['<p>Full log as requested:</p><pre><code>'];
  let length = lines[0]?.length ?? 0;
  for (let line = 0; length <= LONG_BODY_CHARS + 5_000; line++) {
    const text = `2020-09-13T12:${String(line % 60).padStart(2, '0')}:00Z worker-${index} INFO request ${line} handled in ${(line * 37) % 997} ms\n`;
    lines.push(text);
    length += text.length;
  }
  lines.push('</code></pre><p>Sorry for the wall of text 🙈</p>');
  return lines.join('');
}

function seedFor(seed: number, path: string): number {
  return createHash('sha256').update(`${seed}\0${path}`).digest().readUInt32BE(0);
}

/** Image dimensions derived from (seed, path), so entries and bytes agree without storing them. */
export function imageDimensions(seed: number, path: string): { width: number; height: number } {
  const hash = seedFor(seed, `dimensions:${path}`);
  return { width: 32 + (hash % 97), height: 24 + ((hash >>> 8) % 73) };
}

/**
 * The bytes of a generated attachment: a valid PNG, a minimal PDF or plain text, exactly
 * `descriptor.size` bytes long, the same for the same (seed, path).
 */
export function generateAttachmentBytes(
  seed: number,
  path: string,
  descriptor: AttachmentDescriptor,
): Buffer {
  const random = seededRandom(seedFor(seed, path));
  switch (descriptor.contentType) {
    case 'image/png':
      return pngBytes(descriptor.size, imageDimensions(seed, path), random);
    case 'application/pdf':
      return padded(
        '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n',
        'trailer << /Root 1 0 R >>\n%%EOF\n',
        descriptor.size,
        random,
        '%',
      );
    default:
      return padded('', '\n', descriptor.size, random, '');
  }
}

const WORDS = [
  'lorem',
  'ipsum',
  'order',
  'refund',
  'error',
  'login',
  'invoice',
  'retry',
  'export',
  'support',
];

function padded(head: string, tail: string, size: number, random: () => number, linePrefix: string): Buffer {
  const room = size - head.length - tail.length;
  if (room <= 0) return Buffer.from((head + tail).slice(0, size), 'ascii');
  const filler: string[] = [];
  let length = 0;
  while (length < room) {
    let line = linePrefix;
    const words = 4 + Math.floor(random() * 10);
    for (let w = 0; w < words; w++) line += `${WORDS[Math.floor(random() * WORDS.length)]} `;
    line = `${line.trimEnd()}\n`;
    filler.push(line);
    length += line.length;
  }
  return Buffer.from(head + filler.join('').slice(0, room) + tail, 'ascii');
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 0);
  header.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([header.subarray(4), data])), 0);
  return Buffer.concat([header, data, crc]);
}

/** A decodable gradient PNG padded to `size` with a private ancillary chunk that decoders skip. */
function pngBytes(size: number, dims: { width: number; height: number }, random: () => number): Buffer {
  const { width, height } = dims;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rowLength = 1 + width * 3;
  const raw = Buffer.alloc(height * rowLength);
  const base = [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)];
  for (let y = 0; y < height; y++) {
    const row = y * rowLength;
    raw[row] = 1; // "Sub" filter: constant deltas make a horizontal gradient that compresses well.
    raw[row + 1] = ((base[0] as number) + y) & 0xff;
    raw[row + 2] = base[1] as number;
    raw[row + 3] = ((base[2] as number) + 2 * y) & 0xff;
    for (let x = 1; x < width; x++) {
      raw[row + 1 + x * 3] = 2;
      raw[row + 2 + x * 3] = 1;
      raw[row + 3 + x * 3] = 0;
    }
  }
  const head = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
  ]);
  const end = pngChunk('IEND', Buffer.alloc(0));
  const padLength = size - head.length - end.length - 12;
  if (padLength < 0) return Buffer.concat([head, end]).subarray(0, size);
  const padding = Buffer.alloc(padLength);
  for (let i = 0; i < padLength; i++) padding[i] = Math.floor(random() * 256);
  return Buffer.concat([head, pngChunk('paDd', padding), end]);
}
