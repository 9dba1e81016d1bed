/**
 * Intercom tags -> Chatwoot labels.
 *
 * Chatwoot (label.rb) downcases a title, then requires RegexHelper's
 * `\A[\p{L}\p{N}]+[\p{L}\p{N}_-]+\Z` (lib/regex_helper.rb): letters, digits, "_" and "-" only, at least
 * two characters, the first a letter or digit; anything else is a 422 that fails the mapping step.
 *
 * The title of a tag is its slug (`tagSlug`): NFC, lower case, combining marks dropped, every run of
 * other characters one "-", and the separators at either end ("-" and "_" in front, "-" behind)
 * trimmed: "Billing / VAT 2.0" -> "billing-vat-2-0", "_internal" -> "internal". A slug of at least two
 * characters is the title as it is. Two cases remain, and get a title under the prefix "tag--":
 * - one character ("A" -> "a"): "tag--a";
 * - nothing at all (emoji, punctuation: "🔥🔥", "!!!"): "tag--" and the stable hash of the NFC name.
 * No slug contains "--" (runs of separators are collapsed), so these titles can never equal the
 * slug of another tag; and a one-character suffix never equals an eight-digit hash. Hence two tags
 * share a title exactly when their slugs are equal (non-empty), or, for the empty ones, when their
 * hashes are. Tags that differ only in case, punctuation or spacing ("VIP" and "vip", "Needs reply"
 * and "needs-reply") become one label, on purpose, and `planLabels` lists each such merge.
 */
import { stableHash, truncateShort } from './text.js';

/** Every migrated conversation carries this label, so the imported history can be found. */
export const FROM_INTERCOM_LABEL = 'from_intercom';

/** The prefix of titles made for tags whose slug is too short for Chatwoot; see the header. */
export const SHORT_TAG_PREFIX = 'tag--';

/** NFC, lower case, marks dropped, other runs one "-", "-" trimmed at both ends; may be ''. */
function slugCore(name: string): string {
  return (
    name
      .normalize('NFC')
      .toLowerCase()
      // Combining marks (scripts such as Devanagari, the dot of a lower-cased "İ") are dropped, not
      // hyphenated, to keep words whole.
      .replace(/\p{M}+/gu, '')
      .replace(/[^\p{L}\p{N}_-]+/gu, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '')
  );
}

/**
 * "Billing / VAT 2.0" -> "billing-vat-2-0"; a name with no letter or digit -> "tag-<hash>". The slug
 * is always storable text: NUL and lone surrogates are neither letters nor digits, so they become
 * hyphens like any other separator. Canned-response short codes are built from it; labels use
 * `labelTitle`, which Chatwoot's stricter label rule needs.
 */
export function labelSlug(tagName: string): string {
  const slug = slugCore(tagName);
  if (!slug) return `tag-${stableHash(tagName)}`;
  return truncateShort(slug).replace(/-+$/, '');
}

/**
 * The slug a label title is made from: `labelSlug`'s, without "_" or "-" in front (Chatwoot wants a
 * letter or digit first), within 255 UTF-16 units; '' for a name with no letter or digit. Its first
 * character, when there is one, is a letter or a digit.
 */
export function tagSlug(tagName: string): string {
  const slug = slugCore(tagName).replace(/^[_-]+/, '');
  return truncateShort(slug).replace(/-+$/, '');
}

/** The Chatwoot label title of an Intercom tag: always valid for label.rb, already lower case. */
export function labelTitle(tagName: string): string {
  const slug = tagSlug(tagName);
  // Characters as Ruby counts them: one astral letter is two UTF-16 units but one character.
  const characters = [...slug].length;
  if (characters >= 2) return slug;
  if (characters === 1) return `${SHORT_TAG_PREFIX}${slug}`;
  return `${SHORT_TAG_PREFIX}${stableHash(tagName.normalize('NFC'))}`;
}

/** The labels of one migrated conversation: unique tag titles plus "from_intercom", sorted. */
export function conversationLabels(tagNames: readonly string[]): string[] {
  const labels = new Set(tagNames.map(labelTitle));
  labels.add(FROM_INTERCOM_LABEL);
  return [...labels].sort();
}

export interface LabelPlanEntry {
  title: string;
  /** The distinct tag names that become this label, sorted. */
  tags: string[];
}

export interface LabelPlan {
  /** Every label the tags become, sorted by title. */
  labels: LabelPlanEntry[];
  /** The labels that stand for several tags, or whose title is the "from_intercom" marker's. */
  merges: LabelPlanEntry[];
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every tag name -> its label; the same for any order of the names, a name listed twice counts once. */
export function planLabels(tagNames: Iterable<string>): LabelPlan {
  const tagsByTitle = new Map<string, Set<string>>();
  for (const name of tagNames) {
    const title = labelTitle(name);
    const tags = tagsByTitle.get(title);
    if (tags) tags.add(name);
    else tagsByTitle.set(title, new Set([name]));
  }
  const labels = [...tagsByTitle.keys()]
    .sort(byCodeUnits)
    .map((title) => ({ title, tags: [...(tagsByTitle.get(title) ?? [])].sort(byCodeUnits) }));
  return {
    labels,
    merges: labels.filter((entry) => entry.tags.length > 1 || entry.title === FROM_INTERCOM_LABEL),
  };
}
