/**
 * POST /api/v1/accounts/:id/bulk_actions, as Chatwoot 4.10 does it:
 *
 * - Api::V1::Accounts::BulkActionsController (app/controllers/api/v1/accounts/bulk_actions_controller.rb):
 *   `type` camelized; 'Conversation' first runs validate_assignment_targets (fields.assignee_id that is
 *   not a user of the account: 422 {error: 'Invalid assignee_id'}; fields.team_id other than nil, 0 or
 *   '0' that is not a team of the account: 422 {error: 'Invalid team_id'}), then enqueues
 *   BulkActionsJob and answers `head :ok` (200, empty body) whatever the job will do; any other type
 *   but 'Contact' is 422 {success: false}. Permitted: snoozed_until, fields [status, assignee_id,
 *   team_id], type, action_name, ids [] (scalars only), labels [add [], remove []]. Any user of the
 *   account may call it: there is no policy check for conversations.
 * - BulkActionsJob (app/jobs/bulk_actions_job.rb), on the medium queue, later: Current.user is the
 *   caller; the records are `Conversation.where(account_id:, display_id: ids)`, with no inbox
 *   permission of the caller applied; first every record's labels minus labels.remove, then for each
 *   record add_labels(labels.add) (Labelable#add_labels, app/models/concerns/labelable.rb:
 *   `update!(label_list: labels + Array(new_labels))`, the ones it has first; older releases wrote
 *   `new_labels << labels`, which also appended to the job's shared array) and `conversation.update(fields without nils)`. The top-level
 *   snoozed_until is permitted but never read by the job: a snoozed status carries no time (snoozed
 *   until the next reply). `update` returns false on an invalid record and the job goes on; an
 *   exception (an unknown status raises ArgumentError when assigned) ends the job where it is, and the
 *   caller never hears of either.
 * - conversation.update runs the model's callbacks as the other routes do: the status activity message
 *   by Current.user, AutoAssignmentHandler when it became open, AssignmentHandler on team and assignee
 *   changes, and NotificationListener#assignee_changed, which notifies the assignee unless the
 *   conversation is pending when its job runs (sideEffects.ts). Unlike ConversationsController
 *   #toggle_status there is no handle_human_open: an agent opening conversations here does not
 *   become their assignee.
 *
 * 'Contact' (Contacts::BulkActionJob: labels added or removed, contacts deleted) is contactBulkActions.ts.
 */
import { setStatus } from './activities.js';
import type { ActingUser } from './auth.js';
import { createContactBulkAction } from './contactBulkActions.js';
import { assign, setConversationLabels } from './conversations.js';
import { ChatwootApiError, couldNotCreate } from './errors.js';
import { enumParam, isPlainObject, type Params, stringParam } from './params.js';
import { type AccountRecord, CONVERSATION_STATUSES, type ConversationRecord } from './records.js';
import { runAutoAssignment } from './sideEffects.js';
import type { SandboxStore } from './store.js';

/** How the sandbox's Sidekiq treats BulkActionsJob; tests and rehearsals may change it while running. */
export class BulkActionJobs {
  /** How long an enqueued job waits in the medium queue before it runs. */
  delayMs: number;
  /** The next this many jobs are lost (a Sidekiq restart, a job that raised): enqueued, never applied. */
  dropNext = 0;
  enqueued = 0;
  applied = 0;
  dropped = 0;

  constructor(delayMs = 100) {
    this.delayMs = delayMs;
  }

  /** Enqueues `perform` as a job of this queue: it runs after delayMs, unless it is one of the lost. */
  enqueue(store: SandboxStore, perform: () => void): void {
    this.enqueued += 1;
    store.enqueueJob(() => {
      if (this.dropNext > 0) {
        this.dropNext -= 1;
        this.dropped += 1;
        return;
      }
      this.applied += 1;
      perform();
    }, this.delayMs);
  }
}

/** Contacts::BulkActionJob's own queue settings, and BulkDeleteService's destroy! of one contact. */
export interface ContactBulkTarget {
  jobs: BulkActionJobs;
  destroy: (contactId: number) => void;
}

/** What the job reads, as conversation_params permits it. */
export interface BulkConversationParams {
  ids: unknown[];
  fields: Record<string, unknown>;
  labelsAdd?: unknown[];
  labelsRemove?: unknown[];
}

const scalar = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value);

/** ActionController::Parameters#permit: `ids: []` keeps an array of scalars; anything else is dropped. */
function permittedArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value.filter(scalar) : undefined;
}

function permittedParams(params: Params): BulkConversationParams {
  const fieldsIn = isPlainObject(params.fields) ? (params.fields as Record<string, unknown>) : {};
  const fields: Record<string, unknown> = {};
  for (const key of ['status', 'assignee_id', 'team_id']) {
    if (key in fieldsIn && (fieldsIn[key] === null || scalar(fieldsIn[key]))) fields[key] = fieldsIn[key];
  }
  const labels = isPlainObject(params.labels) ? (params.labels as Record<string, unknown>) : {};
  return {
    ids: permittedArray(params.ids) ?? [],
    fields,
    labelsAdd: permittedArray(labels.add),
    labelsRemove: permittedArray(labels.remove),
  };
}

/** The controller: validates, enqueues the job and answers at once. */
export function createBulkAction(
  store: SandboxStore,
  jobs: BulkActionJobs,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
  contacts?: ContactBulkTarget,
): void {
  const type = camelize(stringParam(params.type) ?? '');
  if (type === 'Contact') {
    if (!contacts) throw new ChatwootApiError(501, { error: 'Contacts::BulkActionJob needs the state' });
    createContactBulkAction(store, contacts.jobs, account, params, actor, contacts.destroy);
    return;
  }
  if (type !== 'Conversation') throw new ChatwootApiError(422, { success: false });
  const permitted = permittedParams(params);
  const assigneeId = permitted.fields.assignee_id;
  if (assigneeId !== undefined && assigneeId !== null && !account.members.has(Number(assigneeId))) {
    throw couldNotCreate('Invalid assignee_id');
  }
  const teamId = permitted.fields.team_id;
  if (
    teamId !== undefined &&
    teamId !== null &&
    teamId !== 0 &&
    teamId !== '0' &&
    !account.teams.some((team) => team.id === Number(teamId))
  ) {
    throw couldNotCreate('Invalid team_id');
  }
  jobs.enqueue(store, () => performBulkActionsJob(store, account, permitted, actor));
}

/** String#camelize on the type: 'conversation' and 'Conversation' both name the model. */
function camelize(value: string): string {
  return value
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** BulkActionsJob#perform. Exceptions end the job silently where they happen (sandbox: no Sidekiq retry). */
export function performBulkActionsJob(
  store: SandboxStore,
  account: AccountRecord,
  params: BulkConversationParams,
  actor: ActingUser,
): void {
  const wanted = new Set(params.ids.map((id) => Number(id)).filter(Number.isInteger));
  // where(account_id:, display_id: ids): no order asked, Postgres gives the table's (creation) order.
  const records = account.conversations.filter((conversation) => wanted.has(conversation.displayId));
  // bulk_remove_labels: every record first.
  if (params.labelsRemove) {
    const remove = params.labelsRemove.map((label) => String(label));
    for (const conversation of records) {
      setConversationLabels(
        store,
        account,
        conversation,
        conversation.labels.filter((label) => !remove.includes(label)),
        actor,
      );
    }
  }
  // available_params: fields with their nil values deleted; none at all when fields was not sent.
  const fields = Object.fromEntries(Object.entries(params.fields).filter(([, value]) => value !== null));
  for (const conversation of records) {
    if (params.labelsAdd) {
      setConversationLabels(
        store,
        account,
        conversation,
        [...conversation.labels, ...params.labelsAdd],
        actor,
      );
    }
    updateConversation(store, account, conversation, fields, actor);
  }
}

/** conversation.update(fields): one save, then its callbacks; the listeners read the saved state. */
function updateConversation(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  fields: Record<string, unknown>,
  actor: ActingUser,
): void {
  // The enum is assigned before anything is saved: an unknown status raises (ArgumentError).
  const status = 'status' in fields ? enumParam(CONVERSATION_STATUSES, fields.status, 'status') : undefined;
  if ('team_id' in fields) {
    // The dashboard's 0 removes the team.
    const teamId = fields.team_id === 0 || fields.team_id === '0' ? null : fields.team_id;
    assign(store, account, conversation, { team_id: teamId }, actor);
  }
  if ('assignee_id' in fields)
    assign(store, account, conversation, { assignee_id: fields.assignee_id }, actor);
  if (status !== undefined) {
    const previous = conversation.status;
    setStatus(store, account, conversation, status, { kind: 'user', actor });
    if (previous !== 'open') runAutoAssignment(store, account, conversation, actor);
  }
}
