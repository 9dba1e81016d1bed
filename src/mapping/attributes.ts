/**
 * Chatwoot's limits on a conversation's attribute hashes. conversation.rb validates additional_attributes
 * and custom_attributes with JsonbAttributesLengthValidator (app/models/jsonb_attributes_length_validator.rb):
 * a top-level String longer than 1,500 characters, or a top-level Integer above 9,999,999,999, makes
 * the create a 422 that no retry can fix. Nested values (hashes, arrays) are not checked, nor are
 * floats. Contacts do not run this validator (contact.rb), so contact attributes are left alone.
 *
 * A long string is cut to fit, ending with "…"; its full text goes into a private note on the
 * conversation (messages.ts), where an agent reads it. A big integer becomes its decimal string,
 * which loses nothing.
 */
import { truncateShort } from './text.js';

export const ATTRIBUTE_LIMITS = {
  /** Characters as Ruby counts them (code points). */
  stringChars: 1_500,
  integerMax: 9_999_999_999,
} as const;

export type AttributeHash = 'custom_attributes' | 'additional_attributes';

/** One value changed to fit; never the value itself, so it may go into reports. */
export interface AttributeAdjustment {
  attribute: AttributeHash;
  key: string;
  change: 'truncated' | 'stringified';
  /** Characters of the string, or digits (with sign) of the number, before the change. */
  originalLength: number;
}

export interface CutAttribute extends AttributeAdjustment {
  change: 'truncated';
  /** The whole value, for the private note. */
  fullText: string;
}

/** A hash whose integer values may have become strings. */
export type FittedAttributes<T> = {
  [K in keyof T]: T[K] extends number | undefined ? T[K] | string : T[K];
};

export interface FitResult<T> {
  values: FittedAttributes<T>;
  adjustments: AttributeAdjustment[];
  cut: CutAttribute[];
}

const ELLIPSIS = '…';

function characters(value: string): number {
  return [...value].length;
}

/** `value` within the limit: cut by UTF-16 units (never more than characters), on a grapheme boundary. */
export function cutAttributeText(value: string): string {
  if (characters(value) <= ATTRIBUTE_LIMITS.stringChars) return value;
  return truncateShort(value, ATTRIBUTE_LIMITS.stringChars - ELLIPSIS.length) + ELLIPSIS;
}

/** Makes one attribute hash acceptable to Chatwoot's validator, listing every value it changed. */
export function fitAttributeHash<T extends object>(values: T, attribute: AttributeHash): FitResult<T> {
  const adjustments: AttributeAdjustment[] = [];
  const cut: CutAttribute[] = [];
  const fitted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string' && characters(value) > ATTRIBUTE_LIMITS.stringChars) {
      const adjustment = {
        attribute,
        key,
        change: 'truncated' as const,
        originalLength: characters(value),
      };
      adjustments.push(adjustment);
      cut.push({ ...adjustment, fullText: value });
      fitted[key] = cutAttributeText(value);
    } else if (typeof value === 'number' && Number.isInteger(value) && value > ATTRIBUTE_LIMITS.integerMax) {
      const text = String(value);
      adjustments.push({ attribute, key, change: 'stringified', originalLength: text.length });
      fitted[key] = text;
    } else {
      fitted[key] = value;
    }
  }
  return { values: fitted as FittedAttributes<T>, adjustments, cut };
}
