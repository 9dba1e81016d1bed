/**
 * Intercom tags -> Chatwoot labels. Chatwoot label titles are lower-cased and must match
 * /^[\p{L}\p{N}_-]+$/u (no spaces, no dots), so tag names are turned into slugs; different tags can
 * share a slug ("VIP", "vip"), which is harmless for a many-to-many relation.
 */
import { stableHash, truncateShort } from './text.js';

/** Every migrated conversation carries this label, so the imported history can be found. */
export const FROM_INTERCOM_LABEL = 'from_intercom';

/**
 * "Billing / VAT 2.0" -> "billing-vat-2-0"; a name with no letter or digit -> "tag-<hash>". The slug
 * is always storable text: NUL and lone surrogates are neither letters nor digits, so they become
 * hyphens like any other separator.
 */
export function labelSlug(tagName: string): string {
  const slug = tagName
    .normalize('NFC')
    .toLowerCase()
    // Combining marks (scripts such as Devanagari) are dropped, not hyphenated, to keep words whole.
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}_-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!slug) return `tag-${stableHash(tagName)}`;
  return truncateShort(slug).replace(/-+$/, '');
}

/** The labels of one migrated conversation: unique tag slugs plus "from_intercom", sorted. */
export function conversationLabels(tagNames: readonly string[]): string[] {
  const labels = new Set(tagNames.map(labelSlug));
  labels.add(FROM_INTERCOM_LABEL);
  return [...labels].sort();
}
