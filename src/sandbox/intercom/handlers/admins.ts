/** The support side of the workspace: GET /me, /admins and /teams. */
import type { IntercomDataset } from '../dataset.js';
import { findOr404, type Reply } from '../http.js';
import { adminToWire, teamToWire } from '../workspaceFiles.js';

export function getMe(dataset: IntercomDataset): Reply {
  return { body: adminToWire(dataset.me) };
}

export function listAdmins(dataset: IntercomDataset): Reply {
  return { body: { type: 'admin.list', admins: dataset.admins.map(adminToWire) } };
}

export function getAdmin(dataset: IntercomDataset, id: string | undefined): Reply {
  return { body: adminToWire(findOr404(dataset.admins, id, 'Admin not found')) };
}

export function listTeams(dataset: IntercomDataset): Reply {
  return { body: { type: 'team.list', teams: dataset.teams.map(teamToWire) } };
}

export function getTeam(dataset: IntercomDataset, id: string | undefined): Reply {
  return { body: teamToWire(findOr404(dataset.teams, id, 'Team not found')) };
}
