/** Conversation routes (Api::V1::Accounts::ConversationsController and its nested actions). */
import type { ActingUser } from '../auth.js';
import { CHATWOOT_LIMITS } from '../limits.js';
import type { ConversationRecord } from '../records.js';
import type { ChatwootState } from '../state.js';
import { iso } from '../views.js';
import { ACCOUNT_BASE, type Context, ok, paginate, type RouteTable } from './router.js';

/**
 * The conversation of a nested route: its display id is :conversation_id or, on member routes, :id.
 * Found first (404), then authorized (401), as Conversations::BaseController#conversation does.
 */
export const conversationOf = (state: ChatwootState, context: Context): ConversationRecord => {
  const conversation = state.conversation(context.account, context.path.conversation_id ?? context.path.id);
  state.authorizeConversation(context.account, conversation, context.actor);
  return conversation;
};

export function addConversationRoutes({ add, state, views }: RouteTable): void {
  const conversationCounts = (conversations: ConversationRecord[], actor: ActingUser) => {
    const unassigned = conversations.filter((conversation) => conversation.assigneeId === null).length;
    return {
      mine_count: conversations.filter((conversation) => conversation.assigneeId === actor.user.id).length,
      assigned_count: conversations.length - unassigned,
      unassigned_count: unassigned,
      all_count: conversations.length,
    };
  };
  add('GET', `${ACCOUNT_BASE}/conversations`, ({ account, params, actor }) => {
    const conversations = state.listConversations(account, params, actor);
    // ConversationFinder#perform counts before filter_by_assignee_type: the tabs' counts stay whole.
    const counted = state.listConversations(account, { ...params, assignee_type: 'all' }, actor);
    return ok({
      data: {
        meta: conversationCounts(counted, actor),
        payload: paginate(conversations, params, CHATWOOT_LIMITS.conversationsPerPage).map((conversation) =>
          views.conversation(account, conversation, actor),
        ),
      },
    });
  });
  add('POST', `${ACCOUNT_BASE}/conversations`, ({ account, params, actor }) =>
    ok(views.conversation(account, state.createConversation(account, params, actor), actor)),
  );
  add('POST', `${ACCOUNT_BASE}/conversations/filter`, ({ account, params, actor }) => {
    // Conversations::FilterService narrows its base relation with PermissionFilterService first.
    const conversations = state
      .filterConversations(account, params)
      .filter((conversation) => state.listsConversation(account, conversation, actor));
    // conversations/filter.json.jbuilder renders three of FilterService's four counts.
    const { mine_count, unassigned_count, all_count } = conversationCounts(conversations, actor);
    return ok({
      meta: { mine_count, unassigned_count, all_count },
      payload: paginate(conversations, params, CHATWOOT_LIMITS.conversationsPerPage).map((conversation) =>
        views.conversation(account, conversation, actor),
      ),
    });
  });
  add('GET', `${ACCOUNT_BASE}/conversations/:id`, (context) =>
    ok(views.conversation(context.account, conversationOf(state, context), context.actor)),
  );
  add('POST', `${ACCOUNT_BASE}/conversations/:id/toggle_status`, (context) => {
    const conversation = state.toggleStatus(
      context.account,
      conversationOf(state, context),
      context.params,
      context.actor,
    );
    return ok({
      meta: {},
      payload: {
        success: true,
        conversation_id: conversation.displayId,
        current_status: conversation.status,
        snoozed_until: iso(conversation.snoozedUntil),
      },
    });
  });
  add('GET', `${ACCOUNT_BASE}/conversations/:id/labels`, (context) =>
    ok({ payload: conversationOf(state, context).labels }),
  );
  add('POST', `${ACCOUNT_BASE}/conversations/:id/labels`, (context) =>
    ok({
      payload: state.setConversationLabels(
        context.account,
        conversationOf(state, context),
        context.params.labels,
        context.actor,
      ),
    }),
  );
  add('POST', `${ACCOUNT_BASE}/conversations/:id/assignments`, (context) => {
    const result = state.assign(
      context.account,
      conversationOf(state, context),
      context.params,
      context.actor,
    );
    if (result.kind === 'agent') {
      const user = state.users.get(result.userId);
      return ok(user ? views.agent(context.account, user) : null);
    }
    if (result.kind === 'team') return ok(result.team ? views.teamModel(result.team) : null);
    return ok(null);
  });
  add('POST', `${ACCOUNT_BASE}/conversations/:id/custom_attributes`, (context) =>
    ok({
      custom_attributes: state.setConversationCustomAttributes(
        conversationOf(state, context),
        context.params,
      ),
    }),
  );
}
