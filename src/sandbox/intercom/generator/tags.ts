import type { Tag } from '../../../clients/intercom/schemas.js';

/** Tag names as people type them: spaces, dots, capitals and punctuation that Chatwoot labels reject. */
const TAG_NAMES = [
  'billing',
  'Bug Report',
  'VIP customer',
  'refund.request',
  'Feature Request',
  'urgent!',
  'onboarding',
  'Churn risk',
  'v2.3 regression',
  'GDPR',
];

export function buildTags(count: number): Tag[] {
  const tags: Tag[] = [];
  for (let i = 0; i < count; i++) {
    const name = TAG_NAMES[i % TAG_NAMES.length] + (i >= TAG_NAMES.length ? ` ${i}` : '');
    tags.push({ type: 'tag', id: String(102 + i * 3), name });
  }
  return tags;
}
