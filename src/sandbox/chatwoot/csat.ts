/** CSAT survey responses (csat_survey_response.rb, the CSAT report's filters and metrics). */
import { findAccount } from './auth.js';
import { findConversation } from './conversations.js';
import { ChatwootApiError } from './errors.js';
import { has, integerParam, isBlank, isPlainObject, type Params, parseTime, stringParam } from './params.js';
import type { AccountRecord, CsatResponseRecord } from './records.js';
import type { SandboxStore } from './store.js';

/** Seeds survey answers (the sandbox cannot run the survey page); see POST /__sandbox/csat. */
export function seedCsat(store: SandboxStore, params: Params): CsatResponseRecord[] {
  const account = findAccount(store, integerParam(params.account_id) ?? 1);
  const responses = Array.isArray(params.responses) ? params.responses : [];
  const created: CsatResponseRecord[] = [];
  for (const entry of responses) {
    const item: Params = isPlainObject(entry) ? entry : {};
    const conversation = findConversation(account, item.conversation_id);
    const rating = integerParam(item.rating);
    if (rating === null || rating < 1 || rating > 5) {
      throw new ChatwootApiError(422, { error: 'rating must be an integer from 1 to 5' });
    }
    const record: CsatResponseRecord = {
      id: store.nextId('csat_survey_response'),
      accountId: account.id,
      conversationId: conversation.id,
      conversationDisplayId: conversation.displayId,
      inboxId: conversation.inboxId,
      teamId: conversation.teamId,
      contactId: conversation.contactId,
      assignedAgentId: has(item, 'assigned_agent_id')
        ? integerParam(item.assigned_agent_id)
        : conversation.assigneeId,
      messageId: null,
      rating,
      feedbackMessage: stringParam(item.feedback_message),
      createdAt: parseTime(item.created_at) ?? store.now(),
    };
    account.csatResponses.push(record);
    created.push(record);
  }
  const unanswered = integerParam(params.sent_without_response) ?? 0;
  for (let index = 0; index < unanswered; index++) {
    account.csatSentWithoutResponse.push({ createdAt: store.now(), inboxId: null });
  }
  return created;
}

export function filterCsat(account: AccountRecord, params: Params): CsatResponseRecord[] {
  const since = parseTime(params.since);
  const until = parseTime(params.until);
  const list = (value: unknown): number[] | null => {
    if (isBlank(value)) return null;
    const values = Array.isArray(value) ? value : [value];
    return values.map((item) => integerParam(item)).filter((item): item is number => item !== null);
  };
  const inboxIds = list(params.inbox_id);
  const teamIds = list(params.team_id);
  const agentIds = list(params.user_ids);
  const ratings = list(params.rating);
  return account.csatResponses
    .filter(
      (response) =>
        (since === null || until === null || (response.createdAt >= since && response.createdAt <= until)) &&
        (inboxIds === null || inboxIds.includes(response.inboxId)) &&
        (teamIds === null || (response.teamId !== null && teamIds.includes(response.teamId))) &&
        (agentIds === null ||
          (response.assignedAgentId !== null && agentIds.includes(response.assignedAgentId))) &&
        (ratings === null || ratings.includes(response.rating)),
    )
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

export function csatSentCount(account: AccountRecord, params: Params): number {
  const since = parseTime(params.since);
  const until = parseTime(params.until);
  const inRange = (time: number) => since === null || until === null || (time >= since && time <= until);
  return (
    account.csatResponses.filter((response) => inRange(response.createdAt)).length +
    account.csatSentWithoutResponse.filter((sent) => inRange(sent.createdAt)).length
  );
}
