/**
 * Filters (Contacts::FilterService, Conversations::FilterService): POST /contacts/filter and
 * POST /conversations/filter with their payload of conditions.
 */
import { sortLatest } from './conversations.js';
import { ChatwootApiError, couldNotCreate, RubyStandardError } from './errors.js';
import { booleanParam, integerParam, isBlank, isPlainObject, type Params, stringParam } from './params.js';
import type {
  AccountRecord,
  AttributeModel,
  ContactRecord,
  ConversationRecord,
  CustomAttributeDefinitionRecord,
  JsonObject,
  JsonValue,
} from './records.js';
import type { SandboxStore } from './store.js';

type FilterKeys = Record<string, { kind: 'standard' | 'additional'; operators: string[] }>;

interface FilterCondition {
  attribute_key: string;
  filter_operator: string;
  values: unknown[];
  query_operator: string | null;
}

const CONVERSATION_FILTER_KEYS: FilterKeys = {
  status: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
  assignee_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  inbox_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  team_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  priority: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
  display_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  campaign_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  labels: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  browser_language: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  conversation_language: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  country_code: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  referer: { kind: 'additional', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  created_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  last_activity_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  mail_subject: {
    kind: 'additional',
    operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'],
  },
};

const CONTACT_FILTER_KEYS: FilterKeys = {
  name: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  phone_number: {
    kind: 'standard',
    operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain', 'starts_with'],
  },
  email: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  identifier: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
  country_code: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  city: { kind: 'additional', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  company: { kind: 'additional', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  labels: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  created_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  last_activity_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  blocked: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
};

type Matcher = (raw: JsonValue | undefined) => boolean;

function parseConditions(params: Params): FilterCondition[] {
  const payload = params.payload;
  if (!Array.isArray(payload)) {
    throw new ChatwootApiError(422, { error: 'param is missing or the value is empty: payload' });
  }
  return payload.map((entry) => {
    const item = isPlainObject(entry) ? entry : {};
    const values = item.values;
    return {
      attribute_key: stringParam(item.attribute_key) ?? '',
      filter_operator: stringParam(item.filter_operator) ?? '',
      values: Array.isArray(values) ? values : values === undefined || values === null ? [] : [values],
      query_operator: stringParam(item.query_operator),
    };
  });
}

function validateQueryOperators(conditions: FilterCondition[]): void {
  for (const condition of conditions) {
    if (condition.query_operator === null) continue;
    if (!['AND', 'OR'].includes(condition.query_operator.toUpperCase())) {
      throw couldNotCreate('Query operator must be either "AND" or "OR".');
    }
  }
  // The service concatenates "<condition> <query_operator>" for every condition, so an operator
  // on the last one leaves a dangling AND/OR in the SQL: PostgreSQL rejects it and Rails answers 500.
  const last = conditions.at(-1);
  if (last && last.query_operator !== null && last.query_operator.trim() !== '') {
    throw new RubyStandardError('PG::SyntaxError: syntax error at end of input');
  }
}

/** SQL precedence: AND binds tighter than OR. */
function combine(results: boolean[], conditions: FilterCondition[]): boolean {
  let anyGroup = false;
  let group = true;
  results.forEach((result, index) => {
    group = group && result;
    const operator = conditions[index]?.query_operator?.toUpperCase();
    if (operator === 'OR' || index === results.length - 1) {
      anyGroup = anyGroup || group;
      group = true;
    }
  });
  return anyGroup;
}

function textOf(raw: JsonValue | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') return raw;
  return JSON.stringify(raw);
}

function customAttributeMatcher(
  definition: CustomAttributeDefinitionRecord,
  condition: FilterCondition,
  now: number,
): Matcher {
  const dataType = (
    {
      text: 'text',
      link: 'text',
      list: 'text',
      number: 'numeric',
      currency: 'numeric',
      percent: 'numeric',
      date: 'date',
      checkbox: 'boolean',
    } as const
  )[definition.attributeDisplayType];
  const first = condition.values[0];
  const normalize = (value: string): string | number | boolean | null => {
    if (dataType === 'numeric') {
      const number = Number(value);
      return Number.isFinite(number) ? number : null;
    }
    if (dataType === 'date') {
      const time = Date.parse(value);
      return Number.isNaN(time) ? null : Math.floor(time / 86_400_000);
    }
    if (dataType === 'boolean') return booleanParam(value);
    return value.toLowerCase();
  };
  // The service lower-cases and keeps only the first value when it is a string (string_filter_values).
  const wanted =
    dataType === 'text' && typeof first === 'string'
      ? [first.toLowerCase()]
      : condition.values.map((value) => normalize(stringParam(value) ?? ''));
  const stored = (raw: JsonValue | undefined) => {
    const text = textOf(raw);
    return text === null ? null : normalize(text);
  };
  switch (condition.filter_operator) {
    case 'equal_to':
      return (raw) => {
        const value = stored(raw);
        return value !== null && wanted.includes(value);
      };
    case 'not_equal_to':
      return (raw) => {
        const value = stored(raw);
        return value === null || !wanted.includes(value);
      };
    case 'contains':
    case 'does_not_contain': {
      const needles = condition.values.map((value) => (stringParam(value) ?? '').trim().toLowerCase());
      const contains = (raw: JsonValue | undefined) => {
        const text = textOf(raw)?.toLowerCase();
        return text !== undefined && needles.some((needle) => text.includes(needle));
      };
      return condition.filter_operator === 'contains'
        ? contains
        : (raw) => textOf(raw) !== null && !contains(raw);
    }
    case 'is_present':
      return (raw) => raw !== undefined && raw !== null;
    case 'is_not_present':
      return (raw) => raw === undefined || raw === null;
    case 'is_greater_than':
    case 'is_less_than':
    case 'days_before': {
      const bound =
        condition.filter_operator === 'days_before'
          ? Math.floor(now / 86_400_000) - (integerParam(first) ?? 0)
          : normalize(stringParam(first) ?? '');
      const greater = condition.filter_operator === 'is_greater_than';
      return (raw) => {
        const value = stored(raw);
        if (value === null || bound === null) return false;
        return greater ? value > bound : value < bound;
      };
    }
    default:
      throw couldNotCreate(
        `Invalid operator. The allowed operators for ${condition.attribute_key} are [equal_to,not_equal_to,contains,does_not_contain,is_present,is_not_present,is_greater_than,is_less_than,days_before].`,
      );
  }
}

function scalarMatcher(condition: FilterCondition, caseInsensitive: boolean, firstOnly: boolean): Matcher {
  const fold = (value: string) => (caseInsensitive ? value.toLowerCase() : value);
  const values = (firstOnly ? condition.values.slice(0, 1) : condition.values).map((value) =>
    fold(stringParam(value) ?? ''),
  );
  const text = (raw: JsonValue | undefined) => {
    const value = textOf(raw);
    return value === null ? null : fold(value);
  };
  switch (condition.filter_operator) {
    case 'equal_to':
      return (raw) => {
        const value = text(raw);
        return value !== null && values.includes(value);
      };
    case 'not_equal_to':
      return (raw) => {
        const value = text(raw);
        return value !== null && !values.includes(value);
      };
    case 'contains':
    case 'starts_with':
      return (raw) => {
        const value = text(raw)?.toLowerCase();
        return (
          value !== undefined &&
          values.some((wanted) =>
            condition.filter_operator === 'contains'
              ? value.includes(wanted.trim().toLowerCase())
              : value.startsWith(wanted.toLowerCase()),
          )
        );
      };
    case 'does_not_contain':
      return (raw) => {
        const value = text(raw)?.toLowerCase();
        return value !== undefined && !values.some((wanted) => value.includes(wanted.trim().toLowerCase()));
      };
    case 'is_present':
      return (raw) => raw !== undefined && raw !== null && raw !== '';
    case 'is_not_present':
      return (raw) => raw === undefined || raw === null || raw === '';
    default:
      return () => false;
  }
}

function dateMatcher(condition: FilterCondition, now: number): (time: number | null) => boolean {
  const first = condition.values[0];
  const bound =
    condition.filter_operator === 'days_before'
      ? Math.floor(now / 86_400_000) - (integerParam(first) ?? 0)
      : Math.floor(Date.parse(stringParam(first) ?? '') / 86_400_000);
  return (time) => {
    if (time === null || Number.isNaN(bound)) return false;
    const day = Math.floor(time / 86_400_000);
    return condition.filter_operator === 'is_greater_than' ? day > bound : day < bound;
  };
}

/**
 * What both services do around their own attribute matching, in their order: the conditions and
 * their query operators; then per condition the operators a standard key allows, a value unless the
 * operator needs none, and a custom attribute of the service's model for any other key; last the
 * AND/OR combination.
 */
function applyFilter<T extends { customAttributes: JsonObject }>(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  records: T[],
  service: {
    keys: FilterKeys;
    model: AttributeModel;
    standardMatcher: (
      condition: FilterCondition,
      now: number,
      standard: FilterKeys[string],
    ) => (record: T) => boolean;
  },
): T[] {
  const conditions = parseConditions(params);
  validateQueryOperators(conditions);
  const now = store.now();
  const matchers = conditions.map((condition): ((record: T) => boolean) => {
    const standard = service.keys[condition.attribute_key];
    if (standard && !standard.operators.includes(condition.filter_operator)) {
      throw couldNotCreate(
        `Invalid operator. The allowed operators for ${condition.attribute_key} are [${standard.operators.join(',')}].`,
      );
    }
    if (!['is_present', 'is_not_present'].includes(condition.filter_operator) && isBlank(condition.values)) {
      throw couldNotCreate(`Invalid value. The values provided for ${condition.attribute_key} are invalid`);
    }
    if (!standard) {
      const definition = account.customAttributeDefinitions.find(
        (candidate) =>
          candidate.attributeModel === service.model && candidate.attributeKey === condition.attribute_key,
      );
      if (!definition) {
        throw couldNotCreate(
          `Invalid attribute key - [${condition.attribute_key}]. The key should be one of [${Object.keys(service.keys).join(',')}] or a custom attribute defined in the account.`,
        );
      }
      const match = customAttributeMatcher(definition, condition, now);
      return (record) => match(record.customAttributes[condition.attribute_key]);
    }
    return service.standardMatcher(condition, now, standard);
  });
  return records.filter((record) =>
    combine(
      matchers.map((match) => match(record)),
      conditions,
    ),
  );
}

export function filterContacts(store: SandboxStore, account: AccountRecord, params: Params): ContactRecord[] {
  return applyFilter(store, account, params, account.contacts, {
    keys: CONTACT_FILTER_KEYS,
    model: 'contact_attribute',
    standardMatcher: (condition, now): ((contact: ContactRecord) => boolean) => {
      switch (condition.attribute_key) {
        case 'created_at':
        case 'last_activity_at': {
          const match = dateMatcher(condition, now);
          return (contact) =>
            match(condition.attribute_key === 'created_at' ? contact.createdAt : contact.lastActivityAt);
        }
        case 'labels':
          // Contact labels are not modelled: no contact carries any.
          return () =>
            condition.filter_operator === 'not_equal_to' || condition.filter_operator === 'is_not_present';
        case 'phone_number': {
          // Contacts::FilterService prefixes the first value with "+" after removing any.
          const first = `+${(stringParam(condition.values[0]) ?? '').replace(/\+/g, '')}`;
          const match = scalarMatcher({ ...condition, values: [first] }, true, true);
          return (contact) => match(contact.phoneNumber);
        }
        default: {
          // Standard string attributes compare LOWER(column) with the first value, lower-cased.
          const match = scalarMatcher(condition, true, true);
          return (contact) => match(contactFilterValue(contact, condition.attribute_key));
        }
      }
    },
  });
}

function contactFilterValue(contact: ContactRecord, key: string): JsonValue | undefined {
  switch (key) {
    case 'name':
      return contact.name;
    case 'email':
      return contact.email;
    case 'identifier':
      return contact.identifier;
    case 'blocked':
      return contact.blocked;
    case 'company':
      return contact.additionalAttributes.company_name;
    default:
      return contact.additionalAttributes[key];
  }
}

export function filterConversations(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
): ConversationRecord[] {
  return sortLatest(
    applyFilter(store, account, params, account.conversations, {
      keys: CONVERSATION_FILTER_KEYS,
      model: 'conversation_attribute',
      standardMatcher: (condition, now, standard): ((conversation: ConversationRecord) => boolean) => {
        if (standard.kind === 'additional') {
          const match = scalarMatcher(condition, false, false);
          return (conversation) => match(conversation.additionalAttributes[condition.attribute_key]);
        }
        switch (condition.attribute_key) {
          case 'labels': {
            const wanted = condition.values.map((value) => stringParam(value) ?? '');
            return (conversation) => {
              const hit = conversation.labels.some((label) => wanted.includes(label));
              switch (condition.filter_operator) {
                case 'equal_to':
                  return hit;
                case 'not_equal_to':
                  return !hit;
                case 'is_present':
                  return conversation.labels.length > 0;
                default:
                  return conversation.labels.length === 0;
              }
            };
          }
          case 'status': {
            const wanted = condition.values.map((value) => stringParam(value));
            const all = wanted.includes('all');
            return (conversation) => {
              const hit = all || wanted.includes(conversation.status);
              return condition.filter_operator === 'equal_to' ? hit : !hit;
            };
          }
          case 'created_at':
          case 'last_activity_at': {
            const match = dateMatcher(condition, now);
            return (conversation) =>
              match(
                condition.attribute_key === 'created_at'
                  ? conversation.createdAt
                  : conversation.lastActivityAt,
              );
          }
          default: {
            const match = scalarMatcher(condition, false, false);
            return (conversation) => match(conversationFilterValue(conversation, condition.attribute_key));
          }
        }
      },
    }),
  );
}

function conversationFilterValue(conversation: ConversationRecord, key: string): JsonValue | undefined {
  switch (key) {
    case 'assignee_id':
      return conversation.assigneeId;
    case 'inbox_id':
      return conversation.inboxId;
    case 'team_id':
      return conversation.teamId;
    case 'display_id':
      return conversation.displayId;
    case 'priority':
      return conversation.priority;
    default:
      return null;
  }
}
