/**
 * What a website's visitors reach (no api_access_token): the SDK script, the widget's page and the
 * widget API (config/routes.rb: `resource :widget`, `namespace :widget { resource :contact {
 * patch :set_user } }`), answered by widget.ts. These are browser requests, not the workers': the
 * sandbox neither throttles nor faults them. Also the account route of contact merges
 * (`namespace :actions { resource :contact_merge }`), which the re-key step uses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBody, parseSearchParams, readBody, refuseUnstorableText } from '../request.js';
import { sendJson, sendText } from '../response.js';
import type { ChatwootState } from '../state.js';
import { pubsubToken } from '../widget.js';
import { SDK_SCRIPT, widgetPage } from '../widgetScripts.js';
import type { SandboxStats } from './control.js';
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

const SET_USER_PATH = '/api/v1/widget/contact/set_user';

/** Whether the server hands the request to handleWidget instead of the token-authenticated API. */
export function isWidgetPath(pathname: string): boolean {
  return pathname === '/packs/js/sdk.js' || pathname === '/widget' || pathname.startsWith('/api/v1/widget/');
}

export async function handleWidget(
  { state, stats }: { state: ChatwootState; stats: SandboxStats },
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const method = req.method ?? 'GET';
  const pathname = url.pathname.replace(/\.json$/, '').replace(/\/+$/, '') || '/';
  const raw = await readBody(req);
  const count = (route: string) => {
    stats.requests += 1;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
  };
  if (method === 'GET' && url.pathname === '/packs/js/sdk.js') {
    count('GET /packs/js/sdk.js');
    return sendText(res, 200, 'text/javascript; charset=utf-8', SDK_SCRIPT);
  }
  const query = parseSearchParams(url.searchParams);
  if (method === 'GET' && pathname === '/widget') {
    count('GET /widget');
    const session = state.openWidget(query.website_token, query.cw_conversation);
    return sendText(
      res,
      200,
      'text/html; charset=utf-8',
      widgetPage({
        authToken: session.token,
        websiteToken: session.inbox.inboxIdentifier,
        widgetColor: session.inbox.widgetColor ?? '#1f93ff',
      }),
    );
  }
  if (method === 'PATCH' && pathname === SET_USER_PATH) {
    count(`PATCH ${SET_USER_PATH}`);
    const body = parseBody(raw, req.headers['content-type'] ?? '');
    refuseUnstorableText(body);
    const header = req.headers['x-auth-token'];
    const session = state.widgetSession(query.website_token, Array.isArray(header) ? header[0] : header);
    const answer = state.setWidgetUser(session, { ...query, ...body });
    // app/views/api/v1/widget/contacts/set_user.json.jbuilder
    return sendJson(res, 200, {
      id: answer.contact.id,
      name: answer.contact.name,
      email: answer.contact.email,
      phone_number: answer.contact.phoneNumber,
      pubsub_token: pubsubToken(answer.contactInbox),
      ...(answer.widgetAuthToken ? { widget_auth_token: answer.widgetAuthToken } : {}),
    });
  }
  count('unmatched');
  sendJson(res, 404, { status: 404, error: 'Not Found' });
}

/** Api::V1::Accounts::Actions::ContactMergesController#create, rendered with the contact partial. */
export function addContactMergeRoutes({ add, state, views }: RouteTable): void {
  add('POST', `${ACCOUNT_BASE}/actions/contact_merge`, ({ account, params }) =>
    ok(views.contact(account, state.mergeContacts(account, params), false)),
  );
}
