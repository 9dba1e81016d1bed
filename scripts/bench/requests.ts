/** Chatwoot requests: which part of a migration a route belongs to, and the busiest second from arrival times. */

export type RouteKind = 'setup' | 'import' | 'verify';

/**
 * Contacts, conversations, messages and bulk actions are the import's when they write (look-ups by
 * POST .../filter included) and the verification's when they read; every other route (inboxes,
 * labels, teams, agents, attribute definitions, help center, preflight's reads) is the setup's.
 * GET /contacts/search is the import's: only its once-a-run question about earlier imports sends it
 * (src/activities/import/runStartProbes.ts).
 */
export function classifyRoute(route: string): RouteKind {
  const [method, path = ''] = route.split(' ');
  const resource = path.replace('/api/v1/accounts/:account_id', '').split('/')[1] ?? '';
  if (!['contacts', 'conversations', 'bulk_actions'].includes(resource)) return 'setup';
  if (route === 'GET /api/v1/accounts/:account_id/contacts/search') return 'import';
  return method === 'GET' ? 'verify' : 'import';
}

/** The busiest second: the most requests that arrived at Chatwoot within any 1,000 ms of [from, to]. */
export function busiestSecond(arrivals: number[], from: number, to: number): number {
  const within = arrivals.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; j < within.length; j++) {
    while (within[j] - within[i] >= 1000) i++;
    peak = Math.max(peak, j - i + 1);
  }
  return peak;
}
