export interface IntercomSandboxStats {
  /** API and attachment requests (control routes excluded). */
  requests: number;
  /** Per route template, e.g. "GET /conversations/{id}". */
  byRoute: Record<string, number>;
  /** API requests that came without an Intercom-Version header. */
  withoutVersionHeader: number;
  /** Attachment bytes served successfully. */
  attachmentDownloads: number;
  /** Requests answered 429 because the window's budget was spent (injected 429s not included). */
  rateLimited: number;
}

export function emptyStats(): IntercomSandboxStats {
  return { requests: 0, byRoute: {}, withoutVersionHeader: 0, attachmentDownloads: 0, rateLimited: 0 };
}

export function countRoute(stats: IntercomSandboxStats, route: string): void {
  stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
}
