import type { DataAttribute } from '../../../clients/intercom/schemas.js';

/**
 * Attribute definitions of contacts, companies and conversations: standard ones, custom ones of every
 * data type, and archived ones. Conversation attributes have their own shape (as GET
 * /conversations/attributes answers them).
 */
export function buildDataAttributes(startTime: number): DataAttribute[] {
  const at = startTime - 86_400 * 500;
  const standard = (model: string, name: string, label: string, dataType: string): DataAttribute => ({
    type: 'data_attribute',
    name,
    full_name: name,
    label,
    description: `The ${label.toLowerCase()}`,
    data_type: dataType,
    api_writable: false,
    ui_writable: false,
    messenger_writable: true,
    custom: false,
    archived: false,
    model,
  });
  let nextId = 30;
  const custom = (
    model: string,
    name: string,
    dataType: string,
    extra: { options?: string[]; archived?: boolean } = {},
  ): DataAttribute => {
    const attribute: DataAttribute = {
      id: String(nextId++),
      type: 'data_attribute',
      name,
      full_name: `custom_attributes.${name}`,
      label: name,
      description: '',
      data_type: dataType,
      api_writable: true,
      ui_writable: true,
      messenger_writable: false,
      custom: true,
      archived: extra.archived ?? false,
      admin_id: '991267400',
      created_at: at,
      updated_at: at,
      model,
    };
    if (extra.options) attribute.options = extra.options;
    return attribute;
  };
  const conversationAttribute = (
    name: string,
    dataType: string,
    extra: { options?: string[]; archived?: boolean } = {},
  ): DataAttribute => {
    const attribute: DataAttribute = {
      id: String(nextId++),
      name,
      description: '',
      data_type: dataType,
      required: false,
      visible_to_team_ids: [],
      archived: extra.archived ?? false,
      created_at: at,
      updated_at: at,
      admin_id: '991267400',
      model: 'conversation',
    };
    if (dataType === 'string') attribute.multiline = false;
    if (extra.options) attribute.options = extra.options;
    return attribute;
  };
  return [
    standard('contact', 'name', 'Name', 'string'),
    standard('contact', 'email', 'Email', 'string'),
    standard('contact', 'phone', 'Phone', 'string'),
    standard('contact', 'created_at', 'Signed up', 'date'),
    custom('contact', 'plan_tier', 'string', { options: ['free', 'pro', 'enterprise'] }),
    custom('contact', 'seats', 'integer'),
    custom('contact', 'beta_tester', 'boolean'),
    custom('contact', 'signup_date', 'date'),
    custom('contact', 'mrr', 'float'),
    custom('contact', 'Favourite colour', 'string'),
    custom('contact', 'legacy_score', 'integer', { archived: true }),
    standard('company', 'name', 'Company name', 'string'),
    standard('company', 'company_id', 'Company ID', 'string'),
    standard('company', 'created_at', 'Created at', 'date'),
    custom('company', 'tier', 'string'),
    custom('company', 'region', 'string', { options: ['EMEA', 'AMER', 'APAC'] }),
    conversationAttribute('Order number', 'string'),
    conversationAttribute('Escalation reason', 'list', { options: ['billing', 'bug', 'other'] }),
    conversationAttribute('Refund amount', 'decimal'),
    conversationAttribute('Follow up', 'boolean'),
    conversationAttribute('Legacy queue', 'string', { archived: true }),
  ];
}
