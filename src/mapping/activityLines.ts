/**
 * The text of an Intercom state change (assignment, open, close, snooze...) as a Chatwoot activity
 * message: the grey line Chatwoot writes for its own changes, worded as Chatwoot words them
 * (config/locales/en.yml, `conversations.activity`: "Conversation was marked resolved by %{user_name}",
 * "Assigned to %{assignee_name} by %{user_name}", "Conversation unassigned by %{user_name}"...),
 * followed by the original time: Chatwoot stamps a message's created_at with the time of the import.
 *
 * Plain text, not Markdown: the dashboard shows an activity message's content as HTML
 * (components-next/message/bubbles/Activity.vue, v-dompurify-html) and Chatwoot puts names into its
 * own lines as they are, so a Markdown escape would show as a stray backslash.
 */
import { isoUtc, storableText, truncateShort } from './text.js';

/** What an activity line needs of one Intercom part. */
export interface ActivityEvent {
  partType: string;
  /** Who did it: the part author's display name. */
  by: string;
  assignedTo?: { type: string; id?: string | null } | null;
  /** Unix seconds, for `snoozed`. */
  snoozedUntil?: unknown;
  /** Unix seconds: the part's time in Intercom. */
  createdAt: number;
}

export interface ActivityNames {
  adminNames?: Readonly<Record<string, string>>;
  teamNames?: Readonly<Record<string, string>>;
}

function plain(text: string): string {
  return truncateShort(storableText(text).replace(/\s+/g, ' ').trim());
}

function lookup(names: Readonly<Record<string, string>> | undefined, id: string): string | undefined {
  if (!names || !Object.hasOwn(names, id)) return undefined;
  return plain(names[id] ?? '') || undefined;
}

/** The assignee's name, plain; undefined when the part unassigns. */
function assigneeName(assignedTo: ActivityEvent['assignedTo'], names: ActivityNames): string | undefined {
  if (!assignedTo?.id || assignedTo.type === 'nobody_admin') return undefined;
  const id = plain(assignedTo.id);
  switch (assignedTo.type) {
    case 'team':
      return lookup(names.teamNames, assignedTo.id) ?? `team ${id}`;
    case 'admin':
      return lookup(names.adminNames, assignedTo.id) ?? `admin ${id}`;
    default:
      return `${plain(assignedTo.type)} ${id}`;
  }
}

/** "2021-03-04 10:15 UTC", or nothing for a time that is not one. */
export function activityTime(unixSeconds: number): string | undefined {
  try {
    const iso = isoUtc(unixSeconds);
    return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  } catch {
    return undefined;
  }
}

function humanize(partType: string): string {
  const words = plain(partType.replace(/[_-]+/g, ' '));
  return words ? words[0].toUpperCase() + words.slice(1) : 'Event';
}

/** What happened and who did it, in Chatwoot's words where Chatwoot has some. */
function whatHappened(event: ActivityEvent, names: ActivityNames): string {
  const by = plain(event.by) || 'Intercom';
  const assignee = assigneeName(event.assignedTo, names);
  const assigned = assignee ? `assigned to ${assignee}` : 'unassigned';
  switch (event.partType.trim().toLowerCase()) {
    case 'assignment':
    case 'default_assignment':
    case 'away_mode_assignment':
      return assignee ? `Assigned to ${assignee} by ${by}` : `Conversation unassigned by ${by}`;
    case 'assign_and_reopen':
      return `Conversation was reopened and ${assigned} by ${by}`;
    case 'assign_and_unsnooze':
      return `Conversation was unsnoozed and ${assigned} by ${by}`;
    case 'open':
      return `Conversation was reopened by ${by}`;
    case 'close':
      return `Conversation was marked resolved by ${by}`;
    case 'snoozed': {
      const until = typeof event.snoozedUntil === 'number' ? activityTime(event.snoozedUntil) : undefined;
      return until ? `Conversation was snoozed until ${until} by ${by}` : `Conversation was snoozed by ${by}`;
    }
    case 'unsnoozed':
      return `Conversation was unsnoozed by ${by}`;
    case 'timer_unsnooze':
      return 'Conversation was reopened as its snooze ended';
    default:
      return `${humanize(event.partType)} (${by})`;
  }
}

/** "Conversation was marked resolved by Dana Agent · 2021-03-04 10:15 UTC". */
export function activityLine(event: ActivityEvent, names: ActivityNames = {}): string {
  const text = whatHappened(event, names);
  const time = activityTime(event.createdAt);
  return storableText(time ? `${text} · ${time}` : text);
}

/** Written by one of Intercom's bots (Fin, workflows, custom bots): author type `bot`. */
export function isIntercomBot(authorType: string | null | undefined): boolean {
  return (authorType ?? '').trim().toLowerCase() === 'bot';
}
