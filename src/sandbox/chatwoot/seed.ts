/** The accounts, users and inboxes an installation starts with. */
import { insertInbox } from './inboxes.js';
import type { AccountRecord, ChannelKind, UserRole } from './records.js';
import { type SandboxAutomationRuleSeed, type SandboxWebhookSeed, seedSideEffects } from './sideEffects.js';

export type { SandboxAutomationRuleSeed, SandboxWebhookSeed } from './sideEffects.js';

import type { SandboxStore } from './store.js';

export interface SandboxUserSeed {
  id: number;
  name: string;
  email: string;
  role: UserRole;
  accessToken: string;
}

export interface SandboxInboxSeed {
  name: string;
  channelType?: ChannelKind;
  /** A web widget that refuses setUser without a valid identifier_hash. */
  hmacMandatory?: boolean;
}

export interface SandboxAccountSeed {
  id: number;
  name: string;
  users: SandboxUserSeed[];
  inboxes?: SandboxInboxSeed[];
  /** Automation rules already in the account (the migration must find the active ones). */
  automationRules?: SandboxAutomationRuleSeed[];
  /** Webhooks already in the account. */
  webhooks?: SandboxWebhookSeed[];
  /** Users shown online (auto-assignment only picks online agents). */
  onlineUserIds?: number[];
}

export const DEFAULT_CHATWOOT_ACCOUNTS: readonly SandboxAccountSeed[] = [
  {
    id: 1,
    name: 'Sandbox Support',
    users: [
      {
        id: 1,
        name: 'Migration Bot',
        email: 'migration-bot@sandbox.test',
        role: 'administrator',
        accessToken: 'sandbox-admin-token',
      },
      {
        id: 2,
        name: 'Alice Agent',
        email: 'alice@sandbox.test',
        role: 'agent',
        accessToken: 'sandbox-alice-token',
      },
      {
        id: 3,
        name: 'Bob Agent',
        email: 'bob@sandbox.test',
        role: 'agent',
        accessToken: 'sandbox-bob-token',
      },
      {
        id: 4,
        name: 'Carol Agent',
        email: 'carol@sandbox.test',
        role: 'agent',
        accessToken: 'sandbox-carol-token',
      },
    ],
  },
];

export function seedAccount(store: SandboxStore, seed: SandboxAccountSeed): void {
  if (store.accounts.has(seed.id)) throw new Error(`account ${seed.id} is seeded twice`);
  const now = store.now();
  const account: AccountRecord = {
    id: seed.id,
    name: seed.name,
    createdAt: now,
    members: new Map(),
    inboxes: [],
    contacts: [],
    contactInboxes: [],
    conversations: [],
    nextDisplayId: 1,
    labels: [],
    teams: [],
    customAttributeDefinitions: [],
    cannedResponses: [],
    portals: [],
    csatResponses: [],
    csatSentWithoutResponse: [],
    automationRules: [],
    webhooks: [],
    notifications: [],
    onlineUserIds: [],
  };
  store.accounts.set(seed.id, account);
  store.skipIdsThrough('account', seed.id);
  for (const userSeed of seed.users) {
    const existing = store.users.get(userSeed.id);
    if (existing && (existing.email !== userSeed.email || existing.accessToken !== userSeed.accessToken)) {
      throw new Error(`user ${userSeed.id} is seeded with two different identities`);
    }
    if (!existing) {
      store.users.set(userSeed.id, {
        id: userSeed.id,
        name: userSeed.name,
        displayName: null,
        email: userSeed.email.toLowerCase(),
        accessToken: userSeed.accessToken,
        createdAt: now,
      });
    }
    account.members.set(userSeed.id, userSeed.role);
    store.skipIdsThrough('user', userSeed.id);
  }
  for (const inboxSeed of seed.inboxes ?? []) {
    insertInbox(store, account, {
      name: inboxSeed.name,
      channel: { type: inboxSeed.channelType ?? 'api', hmac_mandatory: inboxSeed.hmacMandatory ?? false },
    });
  }
  seedSideEffects(store, account, seed);
}
