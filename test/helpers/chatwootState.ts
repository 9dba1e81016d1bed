/**
 * An in-process Chatwoot sandbox state (no HTTP) for tests that write through its methods: one
 * account with an administrator and the migration's API inbox, writes without latency.
 */
import { ChatwootState, type ChatwootStateOptions } from '../../src/sandbox/chatwoot/state.js';

export function archiveAccountState(account: number, options: ChatwootStateOptions = {}): ChatwootState {
  return new ChatwootState({
    accounts: [
      {
        id: account,
        name: 'Support',
        users: [{ id: 1, name: 'Bot', email: 'bot@sandbox.test', role: 'administrator', accessToken: 't' }],
        inboxes: [{ name: 'Intercom', channelType: 'api' }],
      },
    ],
    writeLatencyMs: 0,
    ...options,
  });
}
