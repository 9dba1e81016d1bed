export { BUCKET_COUNT, bucketOf, fnv1a32, mix32, usesChatwoot } from './hash.js';
export { LOADER_SCRIPT } from './loader.js';
export {
  createWidgetRouterHandler,
  type RolloutDocument,
  type RolloutState,
  type RouterLogger,
  readRolloutState,
  rolloutDocumentSchema,
  startWidgetRouter,
  type WidgetRouter,
  type WidgetRouterOptions,
} from './server.js';
