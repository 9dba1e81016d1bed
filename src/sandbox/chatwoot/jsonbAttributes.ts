/**
 * JsonbAttributesLengthValidator (app/models/jsonb_attributes_length_validator.rb), as conversation.rb
 * runs it: `validates :additional_attributes, jsonb_attributes_length: true` then the same on
 * custom_attributes. Contact (app/models/contact.rb) does not use it: a contact's attributes have no
 * such limit.
 *
 * It looks at top-level values only:
 *   when 'String'  -> "<key> length should be < 1500"       if value.length > 1500
 *   when 'Integer' -> "<key> value should be < 9999999999"  if value > 9_999_999_999
 * Hashes, arrays, floats, booleans and nil are not checked, at any size. `length` counts characters
 * (code points), not UTF-16 units. The errors raise ActiveRecord::RecordInvalid on create! and save!,
 * which RequestExceptionHandler renders 422 {message: "Custom attributes <key> length should be <
 * 1500", attributes: ["custom_attributes"]}.
 */
import type { FieldError } from './errors.js';
import { RecordInvalidError } from './errors.js';
import { CHATWOOT_LIMITS } from './limits.js';
import type { JsonObject, JsonValue } from './records.js';

/**
 * Ruby's JSON parser makes an Integer of a number written without fraction or exponent. The body
 * arrived through JSON.parse, which loses how the number was written; JSON.stringify (what every
 * JavaScript client sends) writes an integral number below 1e21 without either, so such a number is
 * taken for an Integer. A client writing "12345678901.0" would get a Float in Rails and pass.
 */
function isRubyInteger(value: JsonValue): value is number {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e21;
}

export function jsonbAttributeErrors(attribute: string, values: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string' && [...value].length > CHATWOOT_LIMITS.jsonbStringChars) {
      errors.push({ attribute, message: `${key} length should be < ${CHATWOOT_LIMITS.jsonbStringChars}` });
    } else if (isRubyInteger(value) && value > CHATWOOT_LIMITS.jsonbIntegerMax) {
      errors.push({ attribute, message: `${key} value should be < ${CHATWOOT_LIMITS.jsonbIntegerMax}` });
    }
  }
  return errors;
}

/** Conversation validations in conversation.rb's order: additional_attributes, then custom_attributes. */
export function checkConversationAttributes(conversation: {
  additionalAttributes: JsonObject;
  customAttributes: JsonObject;
}): void {
  const errors = [
    ...jsonbAttributeErrors('additional_attributes', conversation.additionalAttributes),
    ...jsonbAttributeErrors('custom_attributes', conversation.customAttributes),
  ];
  if (errors.length > 0) throw new RecordInvalidError(errors);
}
