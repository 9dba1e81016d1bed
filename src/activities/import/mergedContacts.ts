/**
 * The contact Intercom merged a contact into (410 contact_merged; recorded by the export under
 * blobLayout.intercomMergedContact): a conversation naming the merged contact is the survivor's.
 * Read only when a conversation's contact is not in Chatwoot, so it costs nothing otherwise.
 */
import { type BlobStore, getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { IntercomMergedContact } from '../export/contactExtras.js';

/** The survivor as its identifier is made (id, external id), after the e-mail merges of `plan`. */
export async function mergedSurvivor(
  store: BlobStore,
  account: number,
  plan: { mergedInto: Record<string, string>; identifiers?: Record<string, string> } | undefined,
  intercomContactId: string,
): Promise<{ id: string; external_id: string | null } | undefined> {
  const merged = await getJson<IntercomMergedContact>(
    store,
    blobLayout.intercomMergedContact(account, intercomContactId),
  );
  if (!merged) return undefined;
  const canonical = plan?.mergedInto[merged.canonicalId];
  if (canonical !== undefined) return { id: canonical, external_id: plan?.identifiers?.[canonical] ?? null };
  return { id: merged.canonicalId, external_id: merged.canonicalExternalId ?? null };
}
