/** The Intercom sandbox: workspace generator, folder format and the HTTP server. */
export {
  ATTACHMENT_PLACEHOLDER_PREFIX,
  type AttachmentDescriptor,
  attachmentPlaceholder,
  type DeletedConversation,
  type GenerateOptions,
  generateAttachmentBytes,
  generateWorkspace,
  type IntercomDataset,
} from './generator.js';
export {
  type IntercomSandbox,
  type IntercomSandboxOptions,
  type IntercomSandboxStats,
  type NewConversationInput,
  startIntercomSandbox,
} from './server.js';
export { conversationToWire, loadWorkspace, saveWorkspace } from './workspaceFiles.js';
