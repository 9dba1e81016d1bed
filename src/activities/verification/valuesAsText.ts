/**
 * Attribute values Chatwoot holds as text where the export had a number or a boolean: a conversation
 * created with a form because its first message carried files (clients/chatwoot/conversationForm.ts;
 * Rack hands every form value over as a string). Found by comparing what the mapping sends with what
 * Chatwoot lists, so the report tells what is there rather than what the import meant to do.
 *
 * Paths name keys only (`intercom_custom_attributes.Refund amount`), never values.
 */
import type { AttributeHash } from '../../mapping/attributes.js';

export interface ValuesAsText {
  conversationId: string;
  attribute: AttributeHash;
  paths: string[];
}

/** Paths under which `expected` has a number or boolean and `found` has that value's text. */
export function valuesStoredAsText(expected: unknown, found: unknown, path = ''): string[] {
  if ((typeof expected === 'number' || typeof expected === 'boolean') && typeof found === 'string') {
    return found === String(expected) ? [path] : [];
  }
  if (Array.isArray(expected) && Array.isArray(found)) {
    return expected.flatMap((item, index) => valuesStoredAsText(item, found[index], `${path}[${index}]`));
  }
  if (isHash(expected) && isHash(found)) {
    return Object.entries(expected).flatMap(([key, item]) =>
      key in found ? valuesStoredAsText(item, found[key], path ? `${path}.${key}` : key) : [],
    );
  }
  return [];
}

/** Each of a conversation's two attribute hashes that holds values as text, with their paths. */
export function attributeHashesAsText(
  expected: Record<AttributeHash, unknown>,
  held: Partial<Record<AttributeHash, unknown>>,
): { attribute: AttributeHash; paths: string[] }[] {
  return (['custom_attributes', 'additional_attributes'] as const)
    .map((attribute) => ({ attribute, paths: valuesStoredAsText(expected[attribute], held[attribute]) }))
    .filter((hash) => hash.paths.length > 0);
}

function isHash(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
