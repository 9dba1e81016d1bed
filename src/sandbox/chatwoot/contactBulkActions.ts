/**
 * POST /api/v1/accounts/:id/bulk_actions with `type: 'Contact'`, as Chatwoot 4.10 does it:
 *
 * - Api::V1::Accounts::BulkActionsController (app/controllers/api/v1/accounts/bulk_actions_controller.rb):
 *   no validate_assignment_targets (that is the Conversation branch's); `check_authorization_for_contact_action`
 *   authorizes `Contact, :destroy?` only when the raw `action_name` is 'delete' (ContactPolicy#destroy?:
 *   administrators, else 401), then `Contacts::BulkActionJob.perform_later(account.id, user.id,
 *   contact_params)` and `head :ok`, whatever the job will find. contact_params is
 *   `params.permit(:type, :action_name, ids: [], labels: [add: [], remove: []])`: nothing about the
 *   ids or labels is checked, an empty or unknown payload is 200 too.
 * - Contacts::BulkActionJob (app/jobs/contacts/bulk_action_job.rb), queue :medium, later:
 *   Contacts::BulkActionService (app/services/contacts/bulk_action_service.rb) dispatches by early
 *   returns: `action_name == 'delete'` -> Contacts::BulkDeleteService (`contacts.find_each(&:destroy!)`);
 *   else labels.add with anything not blank -> Contacts::BulkAssignLabelsService; else labels.remove ->
 *   Contacts::BulkRemoveLabelsService; else a logged warning and nothing. So a payload with both add and
 *   remove only adds.
 * - BulkAssignLabelsService (app/services/contacts/bulk_assign_labels_service.rb): labels
 *   `Array(labels).compact_blank` (after the service's own `reject(&:blank?)`: '', '  ', false and nil
 *   go); `@account.contacts.where(id: ids)`, another account's or an unknown id silently skipped;
 *   `find_each` (primary key order) `contact.add_labels(labels)`: Labelable#add_labels
 *   (app/models/concerns/labelable.rb) is `update!(label_list: labels + new_labels)`, the ones it has
 *   first, parsed by acts-as-taggable as POST /contacts/:id/labels parses (contactNotes.ts). Adding a
 *   label the contact has changes nothing.
 * - BulkRemoveLabelsService: `update!(label_list: contact.label_list - labels)`, an exact (case
 *   sensitive) difference.
 * - The job runs `update!`: an exception ends it where it is (the contacts after it keep their
 *   labels), and nobody hears of it; the caller never learns what the job did. Sidekiq would retry a
 *   raised job; the sandbox, like its other jobs, does not.
 * - Nothing here notifies anyone; the `contact_updated` event the save dispatches is no more modelled
 *   here than for POST /contacts/:id/labels.
 */
import { type ActingUser, requireAdministrator } from './auth.js';
import type { BulkActionJobs } from './bulkActions.js';
import { setContactLabels } from './contactNotes.js';
import { isBlank, isPlainObject, type Params, stringParam } from './params.js';
import type { AccountRecord } from './records.js';
import type { SandboxStore } from './store.js';

/** contact_params: what the job receives. */
export interface ContactBulkParams {
  actionName?: string;
  ids: unknown[];
  labelsAdd: unknown[];
  labelsRemove: unknown[];
}

const scalar = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value);

function permitted(params: Params): ContactBulkParams {
  const labels = isPlainObject(params.labels) ? (params.labels as Record<string, unknown>) : {};
  const list = (value: unknown) => (Array.isArray(value) ? value.filter(scalar) : []);
  const action = params.action_name;
  return {
    actionName: scalar(action) ? String(action) : undefined,
    ids: list(params.ids),
    labelsAdd: list(labels.add),
    labelsRemove: list(labels.remove),
  };
}

/**
 * `where(id: ids)` on an integer key: true is 1, false 0, a float truncated, a string only when it
 * starts as a number (then its to_i: '12abc' is 12); anything else matches no row.
 */
export function contactIdOf(value: unknown): number | undefined {
  if (value === true) return 1;
  if (value === false) return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

/** The controller: authorizes a delete, enqueues Contacts::BulkActionJob, answers at once. */
export function createContactBulkAction(
  store: SandboxStore,
  jobs: BulkActionJobs,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
  destroyContact: (contactId: number) => void,
): void {
  // The raw param, before any permit: `params[:action_name] == 'delete'`.
  if (params.action_name === 'delete') requireAdministrator(actor);
  const job = permitted(params);
  jobs.enqueue(store, () => performContactBulkActionJob(store, account, job, destroyContact));
}

/** Contacts::BulkActionService#perform and the service it picks. */
export function performContactBulkActionJob(
  store: SandboxStore,
  account: AccountRecord,
  params: ContactBulkParams,
  destroyContact: (contactId: number) => void,
): void {
  // `Array(ids).compact`, then where(id:) in primary key order (find_each).
  const wanted = new Set(params.ids.map(contactIdOf).filter((id): id is number => id !== undefined));
  const contacts = () =>
    account.contacts.filter((contact) => wanted.has(contact.id)).sort((a, b) => a.id - b.id);
  const labels = (list: unknown[]) =>
    list.filter((label) => !isBlank(label)).map((label) => stringParam(label) ?? '');
  if (params.actionName === 'delete') {
    for (const contact of contacts()) destroyContact(contact.id);
    return;
  }
  const add = labels(params.labelsAdd);
  if (add.length > 0) {
    if (wanted.size === 0) return;
    for (const contact of contacts()) setContactLabels(store, contact, [...(contact.labels ?? []), ...add]);
    return;
  }
  const remove = labels(params.labelsRemove);
  if (remove.length > 0) {
    for (const contact of contacts()) {
      setContactLabels(
        store,
        contact,
        (contact.labels ?? []).filter((label) => !remove.includes(label)),
      );
    }
  }
  // Neither: Rails.logger.warn('Unknown contact bulk operation payload'), nothing done.
}

/**
 * GET /contacts?labels= (ContactsController#resolved_contacts: `tagged_with(params[:labels], any: true)`
 * when the param is present): an array or a comma list, parsed as acts-as-taggable parses a label
 * list; a contact with any of them, compared without case (Tag.named_any); none at all when the list
 * parses to nothing. The contacts' order is kept.
 */
export function taggedWithAny<T extends { labels?: string[] }>(contacts: T[], param: unknown): T[] {
  if (isBlank(param)) return contacts;
  const raw = Array.isArray(param)
    ? param.map((item) => stringParam(item) ?? '')
    : [stringParam(param) ?? ''];
  const wanted = new Set(
    raw
      .join(',')
      .split(',')
      .map((label) => label.trim().toLowerCase())
      .filter((label) => label !== ''),
  );
  return contacts.filter((contact) =>
    (contact.labels ?? []).some((label) => wanted.has(label.toLowerCase())),
  );
}
