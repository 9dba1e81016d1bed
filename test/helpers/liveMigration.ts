/**
 * For tests that act on a migration during its parallel run: count the delta syncs it has done,
 * wait for a whole one, change Intercom through its API as teammates would, and pick the people an
 * erasure test can find again by e-mail.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Contact, Conversation } from '../../src/clients/intercom/schemas.js';
import type { IntercomDataset } from '../../src/sandbox/intercom/index.js';
import type { Scenario } from '../../src/sandbox/scenario.js';
import type { BlobStore } from '../../src/storage/blobStore.js';
import { blobLayout } from '../../src/storage/layout.js';
import { type PollOptions, until } from './eventually.js';

/** Delta exports finished so far (one manifest each). */
export async function deltaExports(store: BlobStore, account: number): Promise<number> {
  let count = 0;
  for await (const key of store.list(blobLayout.deltaPrefix(account))) {
    if (blobLayout.isDeltaConversationsManifest(key)) count++;
  }
  return count;
}

/**
 * Until at least `more` delta exports beyond the `from` done now have finished; a migration that
 * ended meanwhile failed, and its result throws why.
 */
export async function moreDeltaExports(
  what: string,
  store: BlobStore,
  account: number,
  handle: WorkflowHandle,
  more: number,
  options: PollOptions = {},
): Promise<void> {
  const from = await deltaExports(store, account);
  await until(
    what,
    async () => {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') await handle.result();
      return (await deltaExports(store, account)) >= from + more;
    },
    options,
  );
}

/**
 * Until a delta sync that began after now has finished: with n exports done now, the (n+1)th may
 * have begun before; the (n+2)th begins after it, and the (n+3)th export begins after its import.
 */
export function aWholeDeltaSync(store: BlobStore, account: number, handle: WorkflowHandle): Promise<void> {
  return moreDeltaExports('a whole delta sync', store, account, handle, 3);
}

/** A request to the Intercom sandbox with the scenario's token and API version 2.16, as a teammate's tool sends it. */
export function intercomRequest(
  scenario: Pick<Scenario, 'intercom' | 'intercomToken'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${scenario.intercom.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${scenario.intercomToken}`,
      'intercom-version': '2.16',
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * People of the workspace whose e-mail no other contact shares (so a scan for it finds only them),
 * with a name and at least one conversation, in the workspace's order.
 */
export function peopleWithOwnEmail(
  dataset: IntercomDataset,
): { contact: Contact; conversations: Conversation[] }[] {
  const emails = new Map<string, number>();
  for (const c of dataset.contacts)
    if (c.email) emails.set(c.email.toLowerCase(), (emails.get(c.email.toLowerCase()) ?? 0) + 1);
  return dataset.contacts
    .filter((c) => c.email && c.name && emails.get(c.email.toLowerCase()) === 1)
    .map((contact) => ({
      contact,
      conversations: dataset.conversations.filter((conv) =>
        (conv.contacts?.contacts ?? []).some((ref) => ref.id === contact.id),
      ),
    }))
    .filter((person) => person.conversations.length > 0);
}
