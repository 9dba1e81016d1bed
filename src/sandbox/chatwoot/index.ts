export {
  type ChatwootSandbox,
  type ChatwootSandboxOptions,
  parseMultipart,
  type SandboxStats,
  startChatwootSandbox,
} from './server.js';
export * from './state.js';
