/** Macros with Intercom's <attribute> placeholders, formatting and emoji, some visible to one team only. */
import type { Macro, Team } from '../../../clients/intercom/schemas.js';
import type { GeneratorContext } from './context.js';

const MACRO_TEMPLATES = [
  {
    name: 'Order status update',
    body: '<p>Hi <attribute key="user.name" default="there"/>, your order #<attribute key="order.number"/> is on its way!</p>',
    text: 'Hi {{user.name|fallback:"there"}}, your order #{{order.number}} is on its way!',
  },
  {
    name: 'Welcome message',
    body: '<p>Welcome! I\'m <attribute key="teammate.name"/>. How can I help you today?</p>',
    text: "Welcome! I'm {{teammate.name}}. How can I help you today?",
  },
  {
    name: 'Refund process',
    body: '<p>Your refund for <b>#<attribute key="conversation.custom_attributes.Order number"/></b> takes 3-5 business days.</p>',
    text: 'Your refund for #{{conversation.custom_attributes.Order number}} takes 3-5 business days.',
  },
  {
    name: 'Password reset',
    body: '<p>Use <a href="https://app.example.com/reset">this link</a> to reset your password.</p><ul><li>Check spam</li><li>Links expire in 1 hour</li></ul>',
    text: 'Use this link to reset your password. Check spam. Links expire in 1 hour.',
  },
  {
    name: 'Closing note 👋',
    body: '<p>Glad we could help 😊 Have a great day!</p>',
    text: 'Glad we could help 😊 Have a great day!',
  },
];

export function buildMacros(context: GeneratorContext, count: number, teams: Team[]): Macro[] {
  const { dice, startTime } = context;
  const macros: Macro[] = [];
  for (let i = 0; i < count; i++) {
    const template = MACRO_TEMPLATES[i % MACRO_TEMPLATES.length] as (typeof MACRO_TEMPLATES)[number];
    const created = startTime - dice.int(86_400, 86_400 * 200);
    const updated = created + dice.int(0, 86_400 * 30);
    const teamOnly = i % 4 === 3 && teams.length > 0;
    macros.push({
      type: 'macro',
      id: String(123 + i * 11),
      name: template.name + (i >= MACRO_TEMPLATES.length ? ` (${i})` : ''),
      body: template.body,
      body_text: template.text,
      // Macros are the one object with ISO-8601 timestamps.
      created_at: new Date(created * 1000).toISOString(),
      updated_at: new Date(updated * 1000).toISOString(),
      visible_to: teamOnly ? 'specific_teams' : 'everyone',
      visible_to_team_ids: teamOnly ? [(teams[0] as Team).id] : [],
      available_on: ['inbox', 'messenger'],
    });
  }
  return macros;
}
