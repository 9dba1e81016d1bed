/**
 * The route table: which handler answers which API path. The first match wins, so the literal paths
 * under /conversations (attributes, search, deleted) must stay before /conversations/{id}. A route's
 * template is also its name in the stats ("GET /conversations/{id}").
 */

import { deleteContact, deleteConversation, searchContacts } from './erasure.js';
import { getAdmin, getMe, getTeam, listAdmins, listTeams } from './handlers/admins.js';
import type { CompaniesScroll } from './handlers/companies.js';
import {
  listContactCompanies,
  listContactNotes,
  listContactTags,
  mergeContacts,
} from './handlers/contactData.js';
import { getContact, listContacts } from './handlers/contacts.js';
import type { Conversations } from './handlers/conversations.js';
import { listConversationAttributes, listDataAttributes } from './handlers/dataAttributes.js';
import { getArticle, getCollection, listArticles, listCollections } from './handlers/helpCenter.js';
import { getMacro, listMacros } from './handlers/macros.js';
import type { ConversationManagement } from './handlers/manage.js';
import type { ConversationReplies } from './handlers/replies.js';
import { createOrUpdateTag, getTag, listTags } from './handlers/tags.js';
import { Tickets } from './handlers/tickets.js';
import type { Reply, RequestContext, SandboxContext } from './http.js';
import { searchConversations } from './search.js';

type Handler = (context: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  name: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/** The stateful resources the routes answer from. */
export interface RouteTargets {
  sandbox: SandboxContext;
  conversations: Conversations;
  replies: ConversationReplies;
  management: ConversationManagement;
  companies: CompaniesScroll;
  /** Tickets with the server's part cap (default: 500). */
  tickets?: Tickets;
}

function route(method: string, template: string, handler: Handler): Route {
  const keys: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method, name: `${method} ${template}`, pattern: new RegExp(`^${source}/?$`), keys, handler };
}

export function buildRoutes({
  sandbox,
  conversations,
  replies,
  management,
  companies,
  tickets: ticketsTarget,
}: RouteTargets): Route[] {
  const { dataset } = sandbox;
  const tickets = ticketsTarget ?? new Tickets(sandbox, 500);
  return [
    route('GET', '/me', () => getMe(dataset)),
    route('GET', '/admins', () => listAdmins(dataset)),
    route('GET', '/admins/{id}', ({ params }) => getAdmin(dataset, params.id)),
    route('GET', '/teams', () => listTeams(dataset)),
    route('GET', '/teams/{id}', ({ params }) => getTeam(dataset, params.id)),
    route('GET', '/tags', () => listTags(dataset)),
    route('POST', '/tags', ({ body }) => createOrUpdateTag(dataset, body)),
    route('GET', '/tags/{id}', ({ params }) => getTag(dataset, params.id)),
    route('GET', '/contacts', ({ url }) => listContacts(dataset, url)),
    route('POST', '/contacts/merge', ({ body }) => mergeContacts(sandbox, body)),
    route('POST', '/contacts/search', ({ body }) => searchContacts(dataset, body)),
    route('DELETE', '/contacts/{id}', ({ params }) => deleteContact(dataset, params.id)),
    route('GET', '/contacts/{id}', ({ params }) => getContact(dataset, params.id)),
    route('GET', '/contacts/{id}/notes', ({ params, url }) => listContactNotes(dataset, params.id, url)),
    route('GET', '/contacts/{id}/companies', ({ params, url }) =>
      listContactCompanies(sandbox, params.id, url),
    ),
    route('GET', '/contacts/{id}/tags', ({ params }) => listContactTags(dataset, params.id)),
    route('GET', '/companies/scroll', ({ url }) => companies.next(url)),
    route('GET', '/macros', (request) => listMacros(dataset, request)),
    route('GET', '/macros/{id}', (request) => getMacro(dataset, request)),
    route('GET', '/data_attributes', ({ url }) => listDataAttributes(dataset, url)),
    route('GET', '/conversations/attributes', ({ url }) => listConversationAttributes(dataset, url)),
    route('GET', '/help_center/collections', ({ url }) => listCollections(sandbox, url)),
    route('GET', '/help_center/collections/{id}', ({ params }) => getCollection(sandbox, params.id)),
    route('GET', '/articles', ({ url }) => listArticles(sandbox, url)),
    route('GET', '/articles/{id}', ({ params }) => getArticle(sandbox, params.id)),
    route('POST', '/tickets/search', ({ body }) => tickets.search(body)),
    route('GET', '/tickets/{id}', ({ params }) => tickets.get(params.id)),
    route('GET', '/ticket_types', () => tickets.types()),
    route('GET', '/ticket_states', () => tickets.states()),
    route('GET', '/conversations', ({ url }) => conversations.list(url)),
    route('POST', '/conversations/search', ({ body }) => searchConversations(conversations, body)),
    route('GET', '/conversations/deleted', (request) => conversations.deleted(request)),
    route('GET', '/conversations/{id}', ({ params }) => conversations.get(params.id)),
    route('DELETE', '/conversations/{id}', ({ params, url }) =>
      deleteConversation(dataset, conversations, params.id, url),
    ),
    route('POST', '/conversations/{id}/tags', ({ params, body }) =>
      conversations.tag(params.id as string, body),
    ),
    route('POST', '/conversations/{id}/reply', ({ params, body }) =>
      replies.reply(params.id as string, body),
    ),
    route('POST', '/conversations/{id}/parts', ({ params, body }) =>
      management.manage(params.id as string, body),
    ),
    route('DELETE', '/conversations/{id}/tags/{tag_id}', ({ params, body }) =>
      management.untag(params.id as string, params.tag_id as string, body),
    ),
  ];
}

export function matchRoute(
  routes: Route[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(pathname);
    if (!found) continue;
    const params: Record<string, string> = {};
    try {
      route.keys.forEach((key, index) => {
        params[key] = decodeURIComponent(found[index + 1] as string);
      });
    } catch {
      return undefined;
    }
    return { route, params };
  }
  return undefined;
}
