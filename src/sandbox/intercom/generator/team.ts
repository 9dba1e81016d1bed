/** The workspace's people on the support side: admins, their teams, and the admin owning the token. */
import type { Admin, Team } from '../../../clients/intercom/schemas.js';
import type { GeneratorContext } from './context.js';

const ADMIN_NAMES = [
  'Alice Support',
  'Bob Billing',
  'Carla Success',
  'Deepak Ops',
  'Eva Nightshift',
  'Farid Tier2',
  'Gemma Lead',
  'Hugo Weekend',
];
const TEAM_NAMES = ['Support', 'Billing', 'Tier 2', 'VIP', 'Onboarding', 'Night shift'];

export function buildAdmins(count: number): Admin[] {
  const admins: Admin[] = [];
  for (let i = 0; i < Math.max(1, count); i++) {
    const name = ADMIN_NAMES[i % ADMIN_NAMES.length] as string;
    const [first, last] = name.split(' ') as [string, string];
    // Intercom keeps admin emails as typed: mixed case, matched case-insensitively by Chatwoot.
    const email =
      i % 2 === 0
        ? `${first}.${last}@Example.com`
        : `${first.toLowerCase()}.${last.toLowerCase()}@example.com`;
    admins.push({
      type: 'admin',
      id: String(991_267_400 + i * 7),
      name: i < ADMIN_NAMES.length ? name : `${name} ${i}`,
      email: i < ADMIN_NAMES.length ? email : email.replace('@', `${i}@`),
      job_title: i === 0 ? 'Head of Support' : 'Support Engineer',
      away_mode_enabled: false,
      away_mode_reassign: false,
      has_inbox_seat: i !== count - 1 || count === 1,
      avatar: { image_url: null },
      team_ids: [],
    });
  }
  return admins;
}

/** Admins join teams round-robin; their team_ids are filled in here. */
export function buildTeams(count: number, admins: Admin[]): Team[] {
  const teams: Team[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(5_017_600 + i * 13);
    const members = admins.filter((_, index) => index % count === i);
    for (const admin of members) admin.team_ids.push(id);
    teams.push({
      type: 'team',
      id,
      name: TEAM_NAMES[i % TEAM_NAMES.length] + (i >= TEAM_NAMES.length ? ` ${i}` : ''),
      admin_ids: members.map((admin) => admin.id),
      admin_priority_level: { primary_admin_ids: null, secondary_admin_ids: null },
    });
  }
  return teams;
}

/** GET /me: the first admin, with the workspace (`app`) attached. */
export function buildMe(context: GeneratorContext, admins: Admin[]): Admin {
  const owner = admins[0] as Admin;
  return {
    ...owner,
    team_ids: [...owner.team_ids],
    email_verified: true,
    app: {
      type: 'app',
      id_code: context.appId,
      name: 'Sandbox Workspace',
      created_at: context.startTime - 86_400 * 900,
      secure: false,
      identity_verification: false,
      timezone: 'Europe/Berlin',
      region: 'US',
    },
  };
}
