export { parseMultipart } from './request.js';
export type { SandboxStats } from './routes/control.js';
export { type ChatwootSandbox, type ChatwootSandboxOptions, startChatwootSandbox } from './server.js';
export * from './state.js';
