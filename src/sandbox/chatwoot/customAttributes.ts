/** Custom attribute definitions (custom_attribute_definition.rb). */
import { type ActingUser, requireAdministrator } from './auth.js';
import { CHATWOOT_LIMITS } from './limits.js';
import { enumParam, integerParam, isBlank, type Params, stringParam, toJsonValue } from './params.js';
import {
  type AccountRecord,
  ATTRIBUTE_DISPLAY_TYPES,
  ATTRIBUTE_MODELS,
  type AttributeModel,
  type CustomAttributeDefinitionRecord,
  type JsonValue,
} from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

/** CustomAttributeDefinition's attribute_key format: letters, digits, "_", "." and "-" only. */
const ATTRIBUTE_KEY_FORMAT = /^[\p{L}\p{N}_.-]+$/u;

/** Keys a custom attribute may not take (CustomAttributeDefinition::STANDARD_ATTRIBUTES). */
const STANDARD_ATTRIBUTE_KEYS: Record<AttributeModel, readonly string[]> = {
  conversation_attribute: [
    'status',
    'priority',
    'assignee_id',
    'inbox_id',
    'team_id',
    'display_id',
    'campaign_id',
    'labels',
    'browser_language',
    'country_code',
    'referer',
    'created_at',
    'last_activity_at',
  ],
  contact_attribute: [
    'name',
    'email',
    'phone_number',
    'identifier',
    'country_code',
    'city',
    'created_at',
    'last_activity_at',
    'referer',
    'blocked',
  ],
};

export function listCustomAttributeDefinitions(
  account: AccountRecord,
  model: unknown,
): CustomAttributeDefinitionRecord[] {
  if (isBlank(model)) return [...account.customAttributeDefinitions];
  const wanted = ATTRIBUTE_MODELS[integerParam(model) ?? -1] ?? stringParam(model);
  return account.customAttributeDefinitions.filter((definition) => definition.attributeModel === wanted);
}

export function createCustomAttributeDefinition(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): CustomAttributeDefinitionRecord {
  requireAdministrator(actor);
  const model = enumParam(ATTRIBUTE_MODELS, params.attribute_model ?? 0, 'attribute_model');
  const displayType = enumParam(
    ATTRIBUTE_DISPLAY_TYPES,
    params.attribute_display_type ?? 0,
    'attribute_display_type',
  );
  const key = (stringParam(params.attribute_key) ?? '').trim();
  const displayName = (stringParam(params.attribute_display_name) ?? '').trim();
  const validation = new Validation();
  validation.presence('attribute_display_name', displayName);
  validation.presence('attribute_key', key);
  validation.maxLength('attribute_display_name', displayName, CHATWOOT_LIMITS.shortStringChars);
  validation.maxLength('attribute_key', key, CHATWOOT_LIMITS.shortStringChars);
  if (
    key !== '' &&
    account.customAttributeDefinitions.some(
      (definition) => definition.attributeKey === key && definition.attributeModel === model,
    )
  ) {
    validation.add('attribute_key', 'has already been taken');
  }
  // app/models/custom_attribute_definition.rb: `format: { with: /\A[\p{L}\p{N}_.\-]+\z/ }`, with
  // errors.custom_attribute_definition.attribute_key_format (config/locales/en.yml). A blank key has
  // its own message already.
  if (key !== '' && !ATTRIBUTE_KEY_FORMAT.test(key)) {
    validation.add('attribute_key', 'must only contain letters, numbers, underscores, hyphens, and dots');
  }
  if (STANDARD_ATTRIBUTE_KEYS[model].includes(key)) {
    validation.add(
      'attribute_key',
      'The provided key is not allowed as it might conflict with default attributes.',
    );
  }
  validation.check();
  const now = store.now();
  const definition: CustomAttributeDefinitionRecord = {
    id: store.nextId('custom_attribute_definition'),
    attributeDisplayName: displayName,
    attributeDisplayType: displayType,
    attributeDescription: stringParam(params.attribute_description),
    attributeKey: key,
    attributeValues: Array.isArray(params.attribute_values)
      ? (toJsonValue(params.attribute_values) as JsonValue[])
      : [],
    attributeModel: model,
    regexPattern: stringParam(params.regex_pattern),
    regexCue: stringParam(params.regex_cue),
    defaultValue: toJsonValue(params.default_value ?? null),
    createdAt: now,
    updatedAt: now,
  };
  account.customAttributeDefinitions.push(definition);
  return definition;
}
