/**
 * Pure mapping functions, Intercom objects -> Chatwoot payloads. html.ts (and what imports it:
 * messages, conversations, helpCenter) pulls in sanitize-html and turndown, so workflow code should
 * import text.ts or labels.ts directly rather than this index.
 */
export * from './attributes.js';
export * from './contacts.js';
export * from './conversations.js';
export * from './helpCenter.js';
export * from './html.js';
export * from './labels.js';
export * from './messages.js';
export * from './text.js';
