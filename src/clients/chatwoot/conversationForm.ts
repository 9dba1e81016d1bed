/**
 * POST /conversations as multipart/form-data, for a first message that carries attachments. The
 * controller's create runs ConversationBuilder on the top-level params and Messages::MessageBuilder
 * on `params[:message]` in one transaction (app/controllers/api/v1/accounts/conversations_controller.rb),
 * so the files go as `message[attachments][]` and every other field as a Rack nested name.
 *
 * A form carries strings only: Rails hands `custom_attributes[intercom_rating]=4` to the jsonb
 * column as "4", where JSON kept 4. So a hash is sent as a form only when every value is a string (or
 * a non-empty list of strings, or a hash of those), which it reads back unchanged; otherwise
 * `formFieldsOf` answers undefined and the caller sends JSON and the first message on its own.
 */
/** `name=value` pairs for `value` under `name`, or undefined when a form would change its type. */
export function formFieldsOf(name: string, value: unknown): [string, string][] | undefined {
  if (typeof value === 'string') return [[name, value]];
  if (Array.isArray(value)) {
    // An empty list has no form field at all (Rack drops `a[]` with nothing after it).
    if (value.length === 0 || !value.every((item) => typeof item === 'string')) return undefined;
    return value.map((item) => [`${name}[]`, item as string]);
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    // An empty hash vanishes from a form the same way.
    if (entries.length === 0) return undefined;
    const fields: [string, string][] = [];
    for (const [key, item] of entries) {
      // Rack splits names on brackets: a key holding one would nest where JSON did not.
      if (/[[\]]/.test(key) || item === undefined) return undefined;
      const nested = formFieldsOf(`${name}[${key}]`, item);
      if (!nested) return undefined;
      fields.push(...nested);
    }
    return fields;
  }
  return undefined;
}

/** Whether `bag` reads back from a form exactly as JSON would send it (absent or empty counts). */
export function survivesForm(bag: object | undefined): boolean {
  return bag === undefined || Object.keys(bag).length === 0 || formFieldsOf('x', bag) !== undefined;
}
