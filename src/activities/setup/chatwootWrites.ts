/**
 * The mapping steps: everything conversations refer to, created once in Chatwoot. Each step looks
 * up before it creates, so a retried or re-run step changes nothing the second time. Id maps are
 * saved to the blob store; workflows only see counts.
 */
import { log } from '@temporalio/activity';
import type {
  AttributeDisplayType,
  ChatwootClient,
  NewCustomAttributeDefinition,
} from '../../clients/chatwoot/client.js';
import type {
  Admin,
  Article,
  Collection,
  DataAttribute,
  Macro,
  Tag,
  Team,
} from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import {
  articlePartTitle,
  articlePayload,
  categoryPayload,
  customAttributeKey,
  FROM_INTERCOM_LABEL,
  htmlToMarkdown,
  isEmptyArticleBody,
  labelSlug,
  normalizeEmail,
  planLabels,
  portalLocales,
  splitArticle,
  storableText,
  truncateShort,
} from '../../mapping/index.js';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { readManifest, recordsOf } from '../manifests.js';
import { mapLimited } from '../mapLimited.js';
import type { OnQueue } from '../queues.js';
import { ensureIntercomBot } from './agentBot.js';
import { portalLocalesPatch, quietExistingInbox, stopTeamAutoAssign } from './existingSettings.js';
import { ensureArchiveInboxMembers } from './inboxMembers.js';

export { FROM_INTERCOM_LABEL } from '../../mapping/index.js';

/** Conversation attributes stamped on every migrated conversation; the first is the idempotency key. */
export const CONVERSATION_ATTRIBUTES = [
  { key: 'intercom_conversation_id', name: 'Intercom conversation id', type: 'text' },
  { key: 'intercom_created_at', name: 'Intercom created at', type: 'text' },
  { key: 'intercom_updated_at', name: 'Intercom updated at', type: 'text' },
  { key: 'intercom_title', name: 'Intercom title', type: 'text' },
  { key: 'intercom_priority', name: 'Intercom priority', type: 'text' },
  { key: 'intercom_rating', name: 'Intercom rating', type: 'number' },
] as const;

export interface MigrationMapping {
  inboxId: number;
  /** Intercom admin id -> Chatwoot agent (user) id. */
  agents: Record<string, number>;
  /** Intercom team id -> Chatwoot team id. */
  teams: Record<string, number>;
  /**
   * Chatwoot agent id -> e-mail, for agents with a token in CHATWOOT_AGENT_TOKENS: the import assigns
   * a conversation to such an agent with the agent's own token, and Chatwoot never notifies a
   * self-assignment. Absent in mappings saved before it existed.
   */
  agentEmails?: Record<string, string>;
  /**
   * The agent bot the import posts Intercom bots' parts as (./agentBot.ts). Absent in mappings saved
   * before it existed: those parts are then posted as the administrator, as they were.
   */
  agentBotId?: number;
  /**
   * Intercom admin and team id -> name, so that the activity lines of assignments name who was
   * assigned ("Assigned to Dana Agent by ..."), not an Intercom id. Absent in mappings saved before it.
   */
  intercomNames?: { admins: Record<string, string>; teams: Record<string, string> };
}

export async function* exported<T>(store: BlobStore, account: number, entity: string): AsyncGenerator<T> {
  yield* recordsOf<T>(store, await readManifest(store, blobLayout.entityManifest(account, entity)));
}

/** Id -> name of the named ones; a nameless admin or team keeps being described by its id. */
async function namesOf<T extends { id: string; name?: string | null }>(
  store: BlobStore,
  account: number,
  entity: 'admins' | 'teams',
): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  // Names only make the lines read better: an export without this entity leaves the ids.
  if (!(await getJson(store, blobLayout.entityManifest(account, entity)))) return names;
  for await (const record of exported<T>(store, account, entity)) {
    const name = record.name?.trim();
    if (name) names[record.id] = name;
  }
  return names;
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const DISPLAY_TYPES: Record<string, AttributeDisplayType> = {
  string: 'text',
  integer: 'number',
  float: 'number',
  boolean: 'checkbox',
  date: 'date',
};

export const setupQueue = taskQueues.chatwoot;

/** Setup creates sent at once where they do not depend on each other. */
export const SETUP_CREATES_AT_ONCE = 4;

/**
 * Creates the titles of `wanted` that `existing` lacks, a few at once: distinct titles cannot
 * collide, and one after the other they were the mapping's last half second at Chatwoot's latency
 * (the import waits for the mapping). Answers how many it created.
 */
export async function createMissingLabels(
  chatwoot: ChatwootClient,
  wanted: Iterable<string>,
  existing: ReadonlySet<string>,
): Promise<number> {
  const missing = [...wanted].filter((title) => !existing.has(title));
  await mapLimited(missing, SETUP_CREATES_AT_ONCE, (title) => chatwoot.createLabel(title));
  return missing.length;
}

export function createSetupActivities(deps: ActivityDeps) {
  async function ensureArchiveInbox({ input }: { input: MigrationInput }): Promise<number> {
    const chatwoot = deps.chatwoot(input);
    const existing = (await chatwoot.listInboxes()).find(
      (inbox) => inbox.name === input.chatwoot.inboxName && inbox.channel_type === 'Channel::Api',
    );
    // An inbox of that name may be someone's: its settings must not turn the import into alerts.
    if (existing) await quietExistingInbox(chatwoot, input, existing);
    const inboxId = existing
      ? existing.id
      : (await chatwoot.createApiInbox({ name: input.chatwoot.inboxName })).id;
    await putJson(deps.store(input), blobLayout.mappingPart(input.account, 'inbox'), { inboxId });
    return inboxId;
  }

  async function ensureAttributeDefinitions({ input }: { input: MigrationInput }): Promise<number> {
    const chatwoot = deps.chatwoot(input);
    const store = deps.store(input);
    const wanted: NewCustomAttributeDefinition[] = [];
    const conversationKeys = new Set(
      (await chatwoot.listCustomAttributeDefinitions('conversation')).map((d) => d.attribute_key),
    );
    for (const attribute of CONVERSATION_ATTRIBUTES) {
      if (conversationKeys.has(attribute.key)) continue;
      wanted.push({
        key: attribute.key,
        displayName: attribute.name,
        displayType: attribute.type,
        model: 'conversation',
        description: 'Set by the Intercom migration',
      });
    }
    const contactKeys = new Set(
      (await chatwoot.listCustomAttributeDefinitions('contact')).map((d) => d.attribute_key),
    );
    for await (const attribute of exported<DataAttribute>(store, input.account, 'dataAttributes')) {
      // A definition without a name (the description allows it) defines no key a contact could hold.
      if (
        attribute.model !== 'contact' ||
        attribute.custom === false ||
        attribute.archived ||
        !attribute.name
      )
        continue;
      const key = customAttributeKey(attribute.name);
      if (contactKeys.has(key)) continue;
      contactKeys.add(key);
      wanted.push({
        key,
        displayName: truncateShort(storableText(attribute.label ?? attribute.name)),
        displayType: DISPLAY_TYPES[attribute.data_type] ?? 'text',
        model: 'contact',
        description: truncateShort(storableText(attribute.description ?? 'Intercom custom attribute')),
      });
    }
    // A few at once: one after the other, thirty definitions kept the import waiting over a second
    // at Chatwoot's latency while the budget had room (distinct keys: no two creates collide).
    await mapLimited(wanted, SETUP_CREATES_AT_ONCE, (definition) =>
      chatwoot.createCustomAttributeDefinition(definition),
    );
    return wanted.length;
  }

  async function mapAgents({
    input,
  }: {
    input: MigrationInput;
  }): Promise<{ matched: number; unmatched: number }> {
    const chatwoot = deps.chatwoot(input);
    const store = deps.store(input);
    const chatwootAgents = await chatwoot.listAgents();
    const agentsByEmail = new Map(
      chatwootAgents.map((agent) => [(agent.email ?? '').toLowerCase(), agent.id]),
    );
    const agents: Record<string, number> = {};
    const unmatched: { adminId: string; name?: string | null; email?: string | null }[] = [];
    for await (const admin of exported<Admin>(store, input.account, 'admins')) {
      const email = normalizeEmail(admin.email ?? '');
      const agentId = email ? agentsByEmail.get(email) : undefined;
      if (agentId === undefined) unmatched.push({ adminId: admin.id, name: admin.name, email: admin.email });
      else agents[admin.id] = agentId;
    }
    await putJson(store, blobLayout.mappingPart(input.account, 'agents'), agents);
    const agentEmails: Record<string, string> = {};
    for (const agent of chatwootAgents) {
      if (agent.email && deps.hasAgentToken(agent.email)) agentEmails[agent.id] = agent.email.toLowerCase();
    }
    await putJson(store, blobLayout.mappingPart(input.account, 'agentEmails'), agentEmails);
    await putJson(store, blobLayout.unmatchedAgents(input.account), unmatched);
    // Here rather than in a step of its own, so the mapping workflow's commands stay as they are.
    await ensureArchiveInboxMembers(deps, input, chatwootAgents, Object.values(agents));
    return { matched: Object.keys(agents).length, unmatched: unmatched.length };
  }

  /** Labels for every tag (titles by mapping/labels.ts); the plan, merges included, goes to the report. */
  async function syncLabels({ input }: { input: MigrationInput }): Promise<number> {
    const chatwoot = deps.chatwoot(input);
    const store = deps.store(input);
    const existing = new Set((await chatwoot.listLabels()).map((label) => label.title));
    const names: string[] = [];
    for await (const tag of exported<Tag>(store, input.account, 'tags')) names.push(tag.name);
    const plan = planLabels(names);
    await putJson(store, blobLayout.mappingPart(input.account, 'labels'), plan);
    const wanted = new Set<string>([FROM_INTERCOM_LABEL, ...plan.labels.map((label) => label.title)]);
    await createMissingLabels(chatwoot, wanted, existing);
    return wanted.size;
  }

  /** Teams with their members; members must exist before any assignment or Chatwoot drops the assignee. */
  async function syncTeams({ input }: { input: MigrationInput }): Promise<number> {
    const chatwoot = deps.chatwoot(input);
    const store = deps.store(input);
    const agents =
      (await getJson<Record<string, number>>(store, blobLayout.mappingPart(input.account, 'agents'))) ?? {};
    const existingTeams = new Map(
      (await chatwoot.listTeams()).map((team) => [team.name.toLowerCase(), team]),
    );
    const teamsByName = new Map([...existingTeams].map(([name, team]) => [name, team.id]));
    const teams: Record<string, number> = {};
    const autoAssignOff = new Set<number>();
    for await (const team of exported<Team>(store, input.account, 'teams')) {
      // The description lets a team come without a name; Chatwoot needs one.
      const name = truncateShort(storableText(team.name).trim() || `Intercom team ${team.id}`);
      let teamId = teamsByName.get(name.toLowerCase());
      if (teamId === undefined) {
        // Created with allow_auto_assign off (ChatwootClient#createTeam).
        teamId = (await chatwoot.createTeam(name)).id;
        teamsByName.set(name.toLowerCase(), teamId);
      } else {
        const found = existingTeams.get(name.toLowerCase());
        const switched = found ? await stopTeamAutoAssign(chatwoot, found) : undefined;
        if (switched !== undefined) autoAssignOff.add(switched);
        existingTeams.delete(name.toLowerCase());
      }
      teams[team.id] = teamId;
      const members = new Set((await chatwoot.listTeamMembers(teamId)).map((member) => member.id));
      const missing = team.admin_ids
        .map((adminId) => agents[adminId])
        .filter((id): id is number => id !== undefined && !members.has(id));
      if (missing.length) await chatwoot.addTeamMembers(teamId, missing);
    }
    await putJson(store, blobLayout.mappingPart(input.account, 'teams'), teams);
    // Kept across runs: a re-run finds these teams already off and must still report them.
    const teamAutoAssignKey = blobLayout.mappingPart(input.account, 'teamAutoAssign');
    const before = (await getJson<{ switchedOff: number[] }>(store, teamAutoAssignKey))?.switchedOff ?? [];
    if (autoAssignOff.size > 0 || before.length > 0) {
      await putJson(store, teamAutoAssignKey, { switchedOff: [...new Set([...before, ...autoAssignOff])] });
    }
    return Object.keys(teams).length;
  }

  async function syncCannedResponses({ input }: { input: MigrationInput }): Promise<number> {
    const chatwoot = deps.chatwoot(input);
    const store = deps.store(input);
    const existing = new Set((await chatwoot.listCannedResponses()).map((c) => c.short_code));
    let count = 0;
    for await (const macro of exported<Macro>(store, input.account, 'macros')) {
      // The macro id keeps short codes unique when two macro names slugify alike.
      const shortCode = truncateShort(`${labelSlug(macro.name)}-${macro.id}`);
      count++;
      if (existing.has(shortCode)) continue;
      const content = macro.body ? htmlToMarkdown(macro.body) : (macro.body_text ?? '');
      await chatwoot.createCannedResponse(shortCode, storableText(content || macro.name || shortCode));
    }
    return count;
  }

  async function syncHelpCenter({ input }: { input: MigrationInput }): Promise<number> {
    const chatwoot = deps.chatwoot(input);
    const store = deps.store(input);
    const articles = await all(exported<Article>(store, input.account, 'articles'));
    const collections = await all(exported<Collection>(store, input.account, 'collections'));
    if (articles.length === 0 && collections.length === 0) return 0;
    const slug = 'intercom-help-center';
    const categories = collections.map((collection) => ({
      collection,
      category: categoryPayload(collection),
    }));
    const payloads = articles.map((article) => ({ article, payload: articlePayload(article) }));
    // Chatwoot refuses a category in a locale its portal does not allow, and a portal made without
    // a config allows English only: the portal gets every locale the workspace uses.
    const locales = portalLocales([
      ...categories.map(({ category }) => category.locale),
      ...payloads.map(({ payload }) => payload.locale ?? ''),
    ]);
    const portal = (await chatwoot.helpCenter.listPortals()).find((candidate) => candidate.slug === slug);
    if (!portal) {
      const config = { allowed_locales: locales.allowed, default_locale: locales.defaultLocale };
      await chatwoot.helpCenter.createPortal({ name: 'Help Center (from Intercom)', slug, config });
    } else {
      const config = portalLocalesPatch(portal, locales.allowed);
      if (config) await chatwoot.helpCenter.updatePortal(slug, { config });
    }
    const categoriesBySlug = new Map(
      (await chatwoot.helpCenter.listCategories(slug)).map((c) => [c.slug, c.id]),
    );
    const categoryOfCollection = new Map<string, number>();
    for (const { collection, category } of categories) {
      let categoryId = categoriesBySlug.get(category.slug);
      if (categoryId === undefined) {
        categoryId = (await chatwoot.helpCenter.createCategory(slug, category)).id;
        categoriesBySlug.set(category.slug, categoryId);
      }
      categoryOfCollection.set(collection.id, categoryId);
    }
    const existingTitles = new Set(
      (await chatwoot.helpCenter.listArticles(slug)).map((article) => article.title),
    );
    const authorId = (await chatwoot.profile()).id;
    let count = 0;
    // Chatwoot requires content; an Intercom article without a body is reported, not sent.
    const emptyArticles: { intercomId: string; title: string }[] = [];
    for (const { article, payload } of payloads) {
      if (isEmptyArticleBody(payload.content)) {
        emptyArticles.push({ intercomId: article.id, title: payload.title });
        continue;
      }
      const categoryId = article.parent_id ? categoryOfCollection.get(article.parent_id) : undefined;
      const pieces = splitArticle(payload.content);
      for (const [i, content] of pieces.entries()) {
        const title = i === 0 ? truncateShort(payload.title) : articlePartTitle(payload.title, i + 1);
        count++;
        if (existingTitles.has(title)) continue;
        await chatwoot.helpCenter.createArticle(slug, {
          title,
          content,
          description: payload.description,
          status: payload.status === 'published' ? 1 : 0,
          category_id: categoryId,
          // With a category Chatwoot takes the category's locale (Article#ensure_locale_in_article).
          locale: categoryId === undefined ? payload.locale : undefined,
          author_id: authorId,
        });
      }
    }
    await putJson(store, blobLayout.mappingPart(input.account, 'helpCenter'), {
      locales: locales.allowed,
      emptyArticles,
    });
    if (emptyArticles.length > 0) {
      log.warn('help-center articles without content were not migrated', { count: emptyArticles.length });
    }
    return count;
  }

  async function saveMapping(
    { input }: { input: MigrationInput },
    { inboxId }: { inboxId: number },
  ): Promise<string> {
    const store = deps.store(input);
    // Here rather than in a step of its own, so the mapping workflow's commands stay as they are.
    const agentBotId = await ensureIntercomBot(deps.chatwoot(input), input.account);
    const mapping: MigrationMapping = {
      inboxId,
      agents:
        (await getJson<Record<string, number>>(store, blobLayout.mappingPart(input.account, 'agents'))) ?? {},
      teams:
        (await getJson<Record<string, number>>(store, blobLayout.mappingPart(input.account, 'teams'))) ?? {},
      agentEmails:
        (await getJson<Record<string, string>>(
          store,
          blobLayout.mappingPart(input.account, 'agentEmails'),
        )) ?? {},
      agentBotId,
      intercomNames: {
        admins: await namesOf<Admin>(store, input.account, 'admins'),
        teams: await namesOf<Team>(store, input.account, 'teams'),
      },
    };
    const key = blobLayout.mapping(input.account);
    await putJson(store, key, mapping);
    return key;
  }

  return {
    ensureArchiveInbox,
    ensureAttributeDefinitions,
    mapAgents,
    syncLabels,
    syncTeams,
    syncCannedResponses,
    syncHelpCenter,
    saveMapping,
  };
}

export type SetupActivities = OnQueue<typeof setupQueue, ReturnType<typeof createSetupActivities>>;
