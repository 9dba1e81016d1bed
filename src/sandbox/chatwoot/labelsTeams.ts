/** Labels (label.rb), teams (team.rb, team members) and canned responses (canned_response.rb). */
import { type ActingUser, requireAdministrator } from './auth.js';
import { couldNotCreate, notFound, RecordInvalidError } from './errors.js';
import { CHATWOOT_LIMITS, LABEL_TITLE } from './limits.js';
import { booleanParam, integerParam, isBlank, type Params, stringParam } from './params.js';
import type { AccountRecord, CannedResponseRecord, LabelRecord, TeamRecord, UserRecord } from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

export function createLabel(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): LabelRecord {
  requireAdministrator(actor);
  // label.rb: `before_validation` downcases, then presence, format and uniqueness all run, so a
  // blank title gets both "must not be blank" and "is invalid".
  const title = (stringParam(params.title) ?? '').toLowerCase();
  const validation = new Validation();
  if (isBlank(title)) validation.add('title', 'must not be blank');
  if (!LABEL_TITLE.test(title)) validation.add('title', 'is invalid');
  if (account.labels.some((label) => label.title === title))
    validation.add('title', 'has already been taken');
  validation.maxLength('title', title, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
  const label: LabelRecord = {
    id: store.nextId('label'),
    title,
    description: stringParam(params.description),
    color: stringParam(params.color) ?? '#1f93ff',
    showOnSidebar: booleanParam(params.show_on_sidebar) ?? false,
    createdAt: store.now(),
  };
  account.labels.push(label);
  return label;
}

export function findTeam(account: AccountRecord, id: unknown): TeamRecord {
  const wanted = integerParam(id);
  const team = account.teams.find((candidate) => candidate.id === wanted);
  if (!team) throw notFound();
  return team;
}

export function createTeam(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): TeamRecord {
  requireAdministrator(actor);
  const name = (stringParam(params.name) ?? '').toLowerCase();
  const validation = new Validation();
  if (isBlank(name)) validation.add('name', 'must not be blank');
  if (account.teams.some((team) => team.name === name)) validation.add('name', 'has already been taken');
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
  const team: TeamRecord = {
    id: store.nextId('team'),
    accountId: account.id,
    name,
    description: stringParam(params.description),
    allowAutoAssign: booleanParam(params.allow_auto_assign) ?? true,
    memberIds: [],
    createdAt: store.now(),
  };
  account.teams.push(team);
  return team;
}

/** TeamsController#update: `update!(name, description, allow_auto_assign)`; administrators only. */
export function updateTeam(
  account: AccountRecord,
  team: TeamRecord,
  params: Params,
  actor: ActingUser,
): TeamRecord {
  requireAdministrator(actor);
  const name = 'name' in params ? (stringParam(params.name) ?? '').toLowerCase() : team.name;
  const validation = new Validation();
  if (isBlank(name)) validation.add('name', 'must not be blank');
  if (account.teams.some((other) => other !== team && other.name === name)) {
    validation.add('name', 'has already been taken');
  }
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
  team.name = name;
  if ('description' in params) team.description = stringParam(params.description);
  // allow_auto_assign: a team change then auto-assigns one of the team's online agents (sideEffects.ts).
  if ('allow_auto_assign' in params)
    team.allowAutoAssign = booleanParam(params.allow_auto_assign) ?? team.allowAutoAssign;
  return team;
}

export function addTeamMembers(
  store: SandboxStore,
  account: AccountRecord,
  team: TeamRecord,
  params: Params,
  actor: ActingUser,
): UserRecord[] {
  requireAdministrator(actor);
  if (!Array.isArray(params.user_ids))
    throw couldNotCreate('param is missing or the value is empty: user_ids');
  const ids = params.user_ids.map((id) => integerParam(id));
  if (ids.some((id) => id === null || !account.members.has(id))) {
    throw new RecordInvalidError([{ attribute: 'user', message: 'must exist' }]);
  }
  const added: UserRecord[] = [];
  for (const id of ids) {
    if (id === null) continue;
    if (!team.memberIds.includes(id)) team.memberIds.push(id);
    const user = store.users.get(id);
    if (user) added.push(user);
  }
  return added;
}

export function teamMembers(store: SandboxStore, team: TeamRecord): UserRecord[] {
  return team.memberIds
    .map((id) => store.users.get(id))
    .filter((user): user is UserRecord => user !== undefined);
}

export function createCannedResponse(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
): CannedResponseRecord {
  const shortCode = stringParam(params.short_code) ?? '';
  const content = stringParam(params.content) ?? '';
  const validation = new Validation();
  validation.presence('short_code', shortCode);
  validation.presence('content', content);
  if (account.cannedResponses.some((canned) => canned.shortCode === shortCode)) {
    validation.add('short_code', 'has already been taken');
  }
  validation.maxLength('short_code', shortCode, CHATWOOT_LIMITS.shortStringChars);
  validation.maxLength('content', content, CHATWOOT_LIMITS.longTextChars);
  validation.check();
  const now = store.now();
  const canned: CannedResponseRecord = {
    id: store.nextId('canned_response'),
    accountId: account.id,
    shortCode,
    content,
    createdAt: now,
    updatedAt: now,
  };
  account.cannedResponses.push(canned);
  return canned;
}
