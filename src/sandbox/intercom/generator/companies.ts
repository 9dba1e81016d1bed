import type { Company } from '../../../clients/intercom/schemas.js';
import type { GeneratorContext } from './context.js';

export function buildCompanies(context: GeneratorContext, count: number): Company[] {
  const { dice, startTime, appId } = context;
  const companies: Company[] = [];
  for (let i = 0; i < count; i++) {
    const created = startTime - dice.int(86_400 * 30, 86_400 * 700);
    companies.push({
      type: 'company',
      id: dice.hex(24),
      company_id: `cmp-${1000 + i}`,
      app_id: appId,
      name:
        ['Acme GmbH', 'Globex Inc.', 'Initech', 'Umbrella Ltd', 'Hooli', 'Société Générale du Test'][i % 6] +
        (i >= 6 ? ` ${i}` : ''),
      remote_created_at: created,
      created_at: created,
      updated_at: created + dice.int(0, 86_400 * 20),
      monthly_spend: dice.int(0, 5000),
      session_count: dice.int(0, 900),
      user_count: dice.int(1, 40),
      size: dice.int(1, 500),
      website: `https://company${i}.example.com`,
      industry: dice.pick(['SaaS', 'ecommerce', 'Logistics', 'Education']),
      plan:
        i % 3 === 0
          ? {}
          : { type: 'plan', id: String(300 + (i % 3)), name: i % 3 === 1 ? 'Pro' : 'Enterprise' },
      tags: { type: 'tag.list', tags: [] },
      segments: { type: 'segment.list', segments: [] },
      custom_attributes: {
        tier: dice.pick(['gold', 'silver', 'bronze']),
        region: dice.pick(['EMEA', 'AMER', 'APAC']),
      },
    });
  }
  return companies;
}
