/**
 * The demo's line about what an operator would otherwise find out from their agents: the
 * notifications Chatwoot would have sent about imported history (none expected), and the help
 * center's locales and the articles left out for having no content.
 */
import type { SandboxDump } from './sandbox/chatwoot/index.js';
import { type BlobStore, getJson } from './storage/blobStore.js';
import { blobLayout } from './storage/layout.js';

export async function sideEffectsLine(dump: SandboxDump, store: BlobStore, account: number): Promise<string> {
  const chatwootAccount = dump.accounts.find((candidate) => candidate.id === account);
  const notifications = chatwootAccount?.notifications.length ?? 0;
  const helpCenter = await getJson<{ locales: string[]; emptyArticles: unknown[] }>(
    store,
    blobLayout.mappingPart(account, 'helpCenter'),
  );
  const locales = helpCenter?.locales.join(', ') || 'none';
  const empty = helpCenter?.emptyArticles.length ?? 0;
  return `agent notifications: ${notifications}; help center locales: ${locales}; empty articles reported: ${empty}`;
}
