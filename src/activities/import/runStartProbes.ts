/**
 * Two look-ups that the import would otherwise send once per contact or per ticket, each answered for
 * the whole migration run by one request sent before the run's first create of that kind. Both ask
 * whether an import of an earlier version can have left something that no unique field or create
 * marker would reveal. On an account that never had an import the answer is no, and the import creates
 * without looking first; on a re-run it is yes, and it looks as it always did.
 *
 * - `legacy-contact-identifiers`: may a contact with an external id be held under `intercom:<id>`?
 *   Imports before external ids became identifiers wrote every contact that way (the `rekey-contacts`
 *   command moves them). Such a contact without an e-mail has no unique field that would refuse its
 *   new create, so it has to be looked up first (POST /contacts/filter), 12% of a fresh account's
 *   contact requests on the bench's workspace. Asked with GET /contacts/search?q=intercom:
 *   (ContactsController#search: identifier LIKE '%intercom:%', name, e-mail and phone ILIKE the same,
 *   15 a page): any identifier starting with `intercom:`, or a page too full to tell, is a yes.
 * - `ticket-conversations`: may a ticket's conversation exist? Tickets imported before ticket create
 *   markers have none, so a missing marker proves nothing unless no conversation of the account has an
 *   `intercom_ticket_id` (POST /conversations/filter, is_present: Conversations::FilterService builds
 *   `custom_attributes ->> 'intercom_ticket_id' IS NOT NULL`).
 *
 * Why a no holds for the whole run: this version writes `intercom:<id>` only for contacts without an
 * external id, which never need that look-up, and writes a create marker before every ticket create,
 * so nothing the run itself does can make a no wrong. The first answer is kept per run in the blob
 * store, so a restarted or a second worker uses it. A worker that asks only after creates (its blob
 * write lost) may see the run's own contacts or tickets and answer yes: that costs look-ups, never a
 * duplicate. A run without a run id (an import started on its own) keeps the answer in the worker only.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import type { MigrationInput } from '../../config.js';
import { legacyContactIdentifier } from '../../mapping/contacts.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';

/** The prefix every `intercom:<id>` identifier starts with. */
const LEGACY_PREFIX = legacyContactIdentifier('');

interface RunStartAnswer {
  /** Whether Chatwoot held what was asked about when the run first asked. */
  found: boolean;
  at: string;
}

/** Whether the account may hold `intercom:<id>` contacts of an earlier import. */
export function legacyIdentifiersPossible(
  deps: ActivityDeps,
  input: MigrationInput,
  chatwoot: ChatwootClient,
): Promise<boolean> {
  return askOncePerRun(deps, input, 'legacy-contact-identifiers', async () => {
    const { contacts, hasMore } = await chatwoot.searchContactsPage(LEGACY_PREFIX);
    return hasMore || contacts.some((contact) => contact.identifier?.startsWith(LEGACY_PREFIX) === true);
  });
}

/** Whether any conversation of the account was a ticket's (an `intercom_ticket_id`) before this run. */
export function ticketConversationsPossible(
  deps: ActivityDeps,
  input: MigrationInput,
  chatwoot: ChatwootClient,
): Promise<boolean> {
  return askOncePerRun(deps, input, 'ticket-conversations', () =>
    chatwoot.anyConversationWithCustomAttribute('intercom_ticket_id'),
  );
}

function askOncePerRun(
  deps: ActivityDeps,
  input: MigrationInput,
  question: string,
  ask: () => Promise<boolean>,
): Promise<boolean> {
  const probes = deps.runCache(input).runStartProbes;
  let answer = probes.get(question);
  if (!answer) {
    answer = recordedOrAsked(deps, input, question, ask);
    probes.set(question, answer);
    // A failed question is asked again by the next attempt, not remembered.
    const settled = answer;
    settled.catch(() => {
      if (probes.get(question) === settled) probes.delete(question);
    });
  }
  return answer;
}

async function recordedOrAsked(
  deps: ActivityDeps,
  input: MigrationInput,
  question: string,
  ask: () => Promise<boolean>,
): Promise<boolean> {
  const key =
    input.run === undefined ? undefined : blobLayout.runStartProbe(input.account, input.run, question);
  if (key) {
    const recorded = await getJson<RunStartAnswer>(deps.store(input), key);
    if (recorded) return recorded.found;
  }
  const found = await ask();
  if (key)
    await putJson(deps.store(input), key, { found, at: new Date().toISOString() } satisfies RunStartAnswer);
  return found;
}
