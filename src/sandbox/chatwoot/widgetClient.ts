/**
 * A website visitor from Node: the requests the widget makes when a page loads it and calls
 * `$chatwoot.setUser` (widgetScripts.ts), without a browser. The demo identifies returning users with
 * it; against a real Chatwoot it makes the same requests.
 */

export interface WidgetVisitor {
  /** The contact the visitor's session belongs to after setUser (set_user.json.jbuilder's id). */
  contactId: number;
  /** The session's token after setUser (X-Auth-Token, the cw_conversation cookie). */
  authToken: string;
}

export interface WidgetUser {
  name?: string;
  email?: string;
  avatar_url?: string;
  phone_number?: string;
  identifier_hash?: string;
}

/** GET /widget (WidgetsController#show), then PATCH /api/v1/widget/contact/set_user. */
export async function identifyWidgetVisitor(
  baseUrl: string,
  websiteToken: string,
  identifier: string,
  user: WidgetUser,
): Promise<WidgetVisitor> {
  const search = `?website_token=${encodeURIComponent(websiteToken)}`;
  const page = await fetch(`${baseUrl}/widget${search}`);
  const html = await page.text();
  if (!page.ok) throw new Error(`GET /widget answered ${page.status}`);
  const authToken = /window\.authToken\s*=\s*["']([^"']+)["']/.exec(html)?.[1];
  if (!authToken) throw new Error('the widget page carries no window.authToken');
  const answer = await fetch(`${baseUrl}/api/v1/widget/contact/set_user${search}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'x-auth-token': authToken },
    body: JSON.stringify({ identifier, ...user }),
  });
  const body = (await answer.json()) as { id?: number; widget_auth_token?: string; error?: string };
  if (!answer.ok || typeof body.id !== 'number') {
    throw new Error(`set_user answered ${answer.status}: ${body.error ?? 'no contact id'}`);
  }
  return { contactId: body.id, authToken: body.widget_auth_token ?? authToken };
}
