/** Custom attribute definition routes (Api::V1::Accounts::CustomAttributeDefinitionsController). */
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addCustomAttributeRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/custom_attribute_definitions`, ({ account, params }) =>
    ok(
      state
        .listCustomAttributeDefinitions(account, params.attribute_model)
        .map((definition) => views.customAttributeDefinition(definition)),
    ),
  );
  add('POST', `${ACCOUNT_BASE}/custom_attribute_definitions`, ({ account, params, actor }) =>
    ok(views.customAttributeDefinition(state.createCustomAttributeDefinition(account, params, actor))),
  );
}
