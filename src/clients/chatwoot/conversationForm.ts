/**
 * POST /conversations as multipart/form-data, for a first message that carries attachments. The
 * controller's create runs ConversationBuilder on the top-level params and Messages::MessageBuilder
 * on `params[:message]` in one transaction (app/controllers/api/v1/accounts/conversations_controller.rb),
 * so the files go as `message[attachments][]` and every other field as a Rack nested name.
 *
 * A form carries strings only: ConversationBuilder hands `custom_attributes[intercom_rating]=4` to the
 * jsonb column with `params[:custom_attributes]&.permit!` (app/builders/conversation_builder.rb), so it
 * is stored as "4" where JSON kept 4. That is accepted for numbers, and for booleans in
 * additional_attributes, because nothing in Chatwoot tells the two apart: its filters and reports read
 * attributes with `->>` (app/services/filter_service.rb), which gives the same text for 4 and "4", and
 * for true and "true". Booleans still keep custom_attributes as JSON: a checkbox definition's value is
 * edited in the dashboard, which has to special-case the text "false"
 * (app/javascript/dashboard/components/CustomAttribute.vue), and the API hands the text to every
 * integration. The verification lists every value stored as text (valuesAsText in the report).
 *
 * What a form cannot carry at all sends the create as JSON and the first message on its own: null (a
 * form part has a value, so it comes back ""), an empty list or hash (Rack drops them), and a key with
 * a bracket (Rack would nest it).
 */
export type FormAttributeHash = 'custom_attributes' | 'additional_attributes';

/** `name=value` pairs for `value` under `name`, or undefined when a form cannot carry it. */
export function formFieldsOf(
  name: string,
  value: unknown,
  booleansAsText = false,
): [string, string][] | undefined {
  if (typeof value === 'string') return [[name, value]];
  if (typeof value === 'number') return Number.isFinite(value) ? [[name, String(value)]] : undefined;
  if (typeof value === 'boolean') return booleansAsText ? [[name, String(value)]] : undefined;
  if (Array.isArray(value)) {
    // An empty list has no form field at all (Rack drops `a[]` with nothing after it). A list's items
    // must be scalars: Rack reads `a[][b]` runs into hashes by its own grouping rules.
    if (value.length === 0) return undefined;
    const fields: [string, string][] = [];
    for (const item of value) {
      if (item === null || typeof item === 'object') return undefined;
      const field = formFieldsOf(`${name}[]`, item, booleansAsText);
      if (!field) return undefined;
      fields.push(...field);
    }
    return fields;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    // An empty hash vanishes from a form the same way.
    if (entries.length === 0) return undefined;
    const fields: [string, string][] = [];
    for (const [key, item] of entries) {
      // Rack splits names on brackets: a key holding one would nest where JSON did not.
      if (/[[\]]/.test(key) || item === undefined) return undefined;
      const nested = formFieldsOf(`${name}[${key}]`, item, booleansAsText);
      if (!nested) return undefined;
      fields.push(...nested);
    }
    return fields;
  }
  return undefined;
}

/** The form fields of one of a conversation's attribute hashes, by that hash's rule (above). */
export function attributeFormFields(
  attribute: FormAttributeHash,
  bag: object,
): [string, string][] | undefined {
  return formFieldsOf(attribute, bag, attribute === 'additional_attributes');
}

/** Whether a form can carry `bag` as the attribute hash `attribute` (absent or empty: nothing to carry). */
export function formCarries(attribute: FormAttributeHash, bag: object | undefined): boolean {
  return (
    bag === undefined || Object.keys(bag).length === 0 || attributeFormFields(attribute, bag) !== undefined
  );
}
