/** CSAT report routes (Api::V1::Accounts::CsatSurveyResponsesController); administrators only. */
import { CHATWOOT_LIMITS } from '../limits.js';
import type { JsonObject } from '../records.js';
import { ACCOUNT_BASE, ok, paginate, type RouteTable } from './router.js';

export function addCsatRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/csat_survey_responses`, ({ account, params, actor }) => {
    state.requireAdministrator(actor);
    return ok(
      paginate(state.filterCsat(account, params), params, CHATWOOT_LIMITS.csatPerPage).map((response) =>
        views.csat(account, response),
      ),
    );
  });
  add('GET', `${ACCOUNT_BASE}/csat_survey_responses/metrics`, ({ account, params, actor }) => {
    state.requireAdministrator(actor);
    const responses = state.filterCsat(account, params);
    const ratingsCount: JsonObject = {};
    for (const response of responses) {
      const key = String(response.rating);
      ratingsCount[key] = ((ratingsCount[key] as number | undefined) ?? 0) + 1;
    }
    return ok({
      total_count: responses.length,
      ratings_count: ratingsCount,
      total_sent_messages_count: state.csatSentCount(account, params),
    });
  });
}
