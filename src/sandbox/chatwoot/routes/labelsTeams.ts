/** Label, team and canned response routes. */
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addLabelTeamRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/labels`, ({ account }) =>
    ok({ payload: account.labels.map((label) => views.label(label)) }),
  );
  add('POST', `${ACCOUNT_BASE}/labels`, ({ account, params, actor }) =>
    ok(views.label(state.createLabel(account, params, actor))),
  );
  add('GET', `${ACCOUNT_BASE}/teams`, ({ account, actor }) =>
    ok(account.teams.map((team) => views.team(account, team, actor))),
  );
  add('POST', `${ACCOUNT_BASE}/teams`, ({ account, params, actor }) =>
    ok(views.team(account, state.createTeam(account, params, actor), actor)),
  );
  add('GET', `${ACCOUNT_BASE}/teams/:team_id`, ({ account, path, actor }) =>
    ok(views.team(account, state.team(account, path.team_id), actor)),
  );
  add('GET', `${ACCOUNT_BASE}/teams/:team_id/team_members`, ({ account, path }) =>
    ok(state.teamMembers(state.team(account, path.team_id)).map((user) => views.agent(account, user))),
  );
  add('POST', `${ACCOUNT_BASE}/teams/:team_id/team_members`, ({ account, path, params, actor }) =>
    ok(
      state
        .addTeamMembers(account, state.team(account, path.team_id), params, actor)
        .map((user) => views.agent(account, user)),
    ),
  );
  add('GET', `${ACCOUNT_BASE}/canned_responses`, ({ account }) =>
    ok(account.cannedResponses.map((canned) => views.cannedResponse(canned))),
  );
  add('POST', `${ACCOUNT_BASE}/canned_responses`, ({ account, params }) =>
    ok(views.cannedResponse(state.createCannedResponse(account, params))),
  );
}
