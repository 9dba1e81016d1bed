/** Attribute definitions: GET /data_attributes (contacts, companies) and GET /conversations/attributes. */
import type { IntercomDataset } from '../dataset.js';
import { ApiError, invalid, type Reply } from '../http.js';
import { flag } from '../pagination.js';
import { conversationAttributeToWire, dataAttributeToWire } from '../workspaceFiles.js';

export function listConversationAttributes(dataset: IntercomDataset, url: URL): Reply {
  const includeArchived = flag(url, 'include_archived');
  const attributes = dataset.dataAttributes.filter(
    (a) => a.model === 'conversation' && (includeArchived || !a.archived),
  );
  return { body: { type: 'list', data: attributes.map(conversationAttributeToWire) } };
}

export function listDataAttributes(dataset: IntercomDataset, url: URL): Reply {
  const model = url.searchParams.get('model');
  if (model === 'conversation') {
    throw new ApiError(
      422,
      'parameter_invalid',
      'model=conversation is no longer supported. Use GET /conversations/attributes instead',
    );
  }
  if (model !== null && model !== 'contact' && model !== 'company') {
    throw invalid('The Data Attribute model field must be either contact or company');
  }
  const includeArchived = flag(url, 'include_archived');
  const data = dataset.dataAttributes.filter(
    (a) =>
      a.model !== 'conversation' && (model === null || a.model === model) && (includeArchived || !a.archived),
  );
  return { body: { type: 'list', data: data.map(dataAttributeToWire) } };
}
