/**
 * The blob store's layout: every key the project reads or writes is built here and nowhere else, so
 * the shape of an export, a snapshot or a report can be read in one place (docs/ARCHITECTURE.md
 * draws it). Pure functions without Node imports: workflows may use them too.
 *
 *   acct-<account>/
 *     export/manifest.json                       the whole export: entities, counts, start time
 *     export/<entity>/manifest.json              one entity: chunks with counts and sha256
 *     export/<entity>/chunk-000001.jsonl         one JSON record per line
 *     export/contacts/merge-plan.json            contacts merged by case-insensitive e-mail
 *     export/<entity>/rehosted/chunk-000001.json a chunk whose attachments are all rehosted
 *     contacts/alias/<intercom id>.json          a merged contact -> the Chatwoot contact it became
 *     contacts/merged/<intercom id>.json         a contact Intercom merged (410) -> the one it became
 *     contacts/extras/<intercom id>.json         what the import last wrote of its notes, labels, companies
 *     sync/conversations/<intercom id>.json      what the last sync of a conversation took from Intercom
 *     import/creating/<intercom id>.json         written before a conversation's create: it may exist since
 *     import/run-start/<run>/<question>.json     what Chatwoot held before the run's first create (yes/no)
 *     import/final-state/<intercom id>.json      labels and status waiting for POST /bulk_actions
 *     rejected/conversations/<id>.json           a conversation set aside at export, with its payload
 *     attachments/<conversation>/index.json      what was rehosted for a conversation, and what failed
 *     attachments/<conversation>/<source>-<n>-<file>
 *     mapping/{inbox,agents,teams}.json          the mapping phase's parts; mapping.json the whole
 *     mapping/labels.json                        every tag -> its label title, merges listed
 *     delta/<run>/{conversations,contacts}/...   each parallel-run delta sync; delta/<run>/deleted.jsonl
 *     reports/unmatched-agents.json, report.json, report.md
 *     reports/plan.json, plan.md                 the plan (cli.js plan): counts and the estimate
 *     sealed-manifest.json                       every blob's size and sha256 at cut-over
 *     erasure/list.json                          people erased: hashed e-mails, Intercom ids (no PII)
 *     erasure/salt.json                          the account's salt of those hashes
 *     erasure/requests/<ref>.json                an erasure request with its selector, deleted at its end
 *     erasure/records/<ref>.json                 what an erasure did: ids, counts, places; no PII
 *     retention/report.json, report.md           what the retention decision deleted where (counts)
 *     retention/progress/<place>.json            its progress per place; retention/plan/ while it runs
 *   rollout/<account>.json                       the widget router's state (served to browsers)
 */

/** Ids may hold characters a key may not (see assertSafeKey): they become '_'. */
export const safeSegment = (value: string) => value.replace(/[^A-Za-z0-9._=-]/g, '_');

const root = (account: number) => `acct-${account}`;
const entityDir = (account: number, entity: string) => `${root(account)}/export/${entity}`;
const manifestIn = (dir: string) => `${dir}/manifest.json`;
const attachmentDir = (account: number, conversationId: string) =>
  `${root(account)}/attachments/${safeSegment(conversationId)}`;
const deltaDir = (account: number, runKey: string) => `${root(account)}/delta/${runKey}`;
/** Account ids as they may appear in the router's URL and its blob key. */
const ROUTER_ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;

export const blobLayout = {
  /** Everything of one account's migration lives below this prefix. */
  root,
  /** The prefix that lists every object of the account (root plus its separator). */
  accountPrefix: (account: number) => `${root(account)}/`,
  exportManifest: (account: number) => `${root(account)}/export/manifest.json`,
  entityDir,
  entityManifest: (account: number, entity: string) => manifestIn(entityDir(account, entity)),
  /** The manifest of a folder of chunks (an entity's export, or a delta's part). */
  manifestIn,
  chunk: (dir: string, index: number) => `${dir}/chunk-${String(index).padStart(6, '0')}.jsonl`,
  /** Beside the contacts it was planned from: the full export's, or a delta's. */
  mergePlanIn: (dir: string) => `${dir}/merge-plan.json`,
  /** A chunk of the tickets' export (rehosted as tickets, not conversations). */
  isTicketChunk: (key: string) => /\/export\/tickets\/chunk-\d+\.jsonl$/.test(key),
  /**
   * Beside a chunk's folder, written once every attachment of the chunk is rehosted: a chunk the
   * import follows while the export runs is imported only after it (workflows/importWorkflow.ts).
   */
  rehostedChunk: (chunkKey: string) =>
    chunkKey.replace(/\/([^/]+)\.jsonl$/, (_match, name: string) => `/rehosted/${name}.json`),
  /** The folder a chunk or manifest key lives in. */
  folderOf: (key: string) => key.replace(/\/[^/]+$/, ''),
  contactAlias: (account: number, intercomContactId: string) =>
    `${root(account)}/contacts/alias/${safeSegment(intercomContactId)}.json`,
  /** A contact Intercom merged into another (410 contact_merged): the id it stands for now. */
  intercomMergedContact: (account: number, intercomContactId: string) =>
    `${root(account)}/contacts/merged/${safeSegment(intercomContactId)}.json`,
  /** What the import last wrote of a contact's notes, labels and companies (activities/import/contactExtras.ts). */
  contactExtrasWritten: (account: number, intercomContactId: string) =>
    `${root(account)}/contacts/extras/${safeSegment(intercomContactId)}.json`,
  /** Written at the end of each successful import of the conversation (src/mapping/syncMerge.ts). */
  syncedConversation: (account: number, intercomConversationId: string) =>
    `${root(account)}/sync/conversations/${safeSegment(intercomConversationId)}.json`,
  /**
   * Written before the import creates the conversation in Chatwoot and never removed: where it is
   * absent (and no sync record either), no earlier attempt can have created it, so the import creates
   * without looking first (activities/import/createMarker.ts).
   */
  conversationCreateMarker: (account: number, intercomConversationId: string) =>
    `${root(account)}/import/creating/${safeSegment(intercomConversationId)}.json`,
  /**
   * A yes/no question about Chatwoot asked once per migration run before its first create of the kind
   * asked about, and the answer (activities/import/runStartProbes.ts).
   */
  runStartProbe: (account: number, run: string, question: string) =>
    `${root(account)}/import/run-start/${safeSegment(run)}/${safeSegment(question)}.json`,
  /**
   * The labels and final status a created conversation still waits for, written by its import and
   * applied by POST /bulk_actions with others (activities/import/bulkActions.ts); its sync record is
   * written only once the read-back shows them.
   */
  conversationFinalState: (account: number, intercomConversationId: string) =>
    `${root(account)}/import/final-state/${safeSegment(intercomConversationId)}.json`,
  /**
   * The same for a ticket's conversation (activities/import/tickets.ts), apart from conversations':
   * a ticket may have the id of a conversation. Deleted once the read-back shows it applied.
   */
  ticketFinalState: (account: number, intercomTicketId: string) =>
    `${root(account)}/import/ticket-final-state/${safeSegment(intercomTicketId)}.json`,
  rejectedConversation: (account: number, conversationId: string) =>
    `${root(account)}/rejected/conversations/${safeSegment(conversationId)}.json`,
  rejectedConversationsDir: (account: number) => `${root(account)}/rejected/conversations/`,
  attachmentDir,
  /** The prefix that lists one conversation's rehosted files and index. */
  attachmentPrefix: (account: number, conversationId: string) => `${attachmentDir(account, conversationId)}/`,
  /**
   * An attachment's key as failure messages may show it (they reach workflow histories): its file name
   * may be personal ("passport-jane-doe.pdf"), so only its folder is named.
   */
  withoutAttachmentFile: (key: string) =>
    /\/attachments\//.test(key) ? `${key.replace(/\/[^/]+$/, '')}/<file>` : key,
  attachmentIndex: (account: number, conversationId: string) =>
    `${attachmentDir(account, conversationId)}/index.json`,
  attachmentFile: (
    account: number,
    conversationId: string,
    messageSourceId: string,
    index: number,
    fileName: string,
  ) =>
    `${attachmentDir(account, conversationId)}/${safeSegment(messageSourceId)}-${index}-${safeSegment(fileName)}`,
  mapping: (account: number) => `${root(account)}/mapping.json`,
  mappingPart: (
    account: number,
    part: 'inbox' | 'agents' | 'agentEmails' | 'teams' | 'labels' | 'helpCenter' | 'teamAutoAssign',
  ) => `${root(account)}/mapping/${part}.json`,
  unmatchedAgents: (account: number) => `${root(account)}/reports/unmatched-agents.json`,
  deltaPrefix: (account: number) => `${root(account)}/delta/`,
  deltaDir,
  deltaPart: (account: number, runKey: string, part: 'conversations' | 'contacts') =>
    `${deltaDir(account, runKey)}/${part}`,
  deltaDeleted: (account: number, runKey: string) => `${deltaDir(account, runKey)}/deleted.jsonl`,
  /** A delta's conversations manifest, as found by listing deltaPrefix. */
  isDeltaConversationsManifest: (key: string) => key.endsWith('/conversations/manifest.json'),
  /** A delta's manifest of one entity, as found by listing deltaPrefix. */
  isDeltaManifestOf: (key: string, entity: 'contacts' | 'conversations' | 'tickets') =>
    key.endsWith(`/${entity}/manifest.json`),
  report: (account: number) => `${root(account)}/report.json`,
  reportMarkdown: (account: number) => `${root(account)}/report.md`,
  /** The plan (workflows/migrationPlan.ts): what a migration would move and cost; nothing else is written. */
  planReport: (account: number) => `${root(account)}/reports/plan.json`,
  planReportMarkdown: (account: number) => `${root(account)}/reports/plan.md`,
  sealedManifest: (account: number) => `${root(account)}/sealed-manifest.json`,
  /** Read by every export and delta sync: nobody listed here comes back (activities/erasure/). */
  erasureList: (account: number) => `${root(account)}/erasure/list.json`,
  erasureSalt: (account: number) => `${root(account)}/erasure/salt.json`,
  /** `ref` is the salted hash of the selector (hex): never the e-mail itself. */
  erasureRequest: (account: number, ref: string) =>
    `${root(account)}/erasure/requests/${safeSegment(ref)}.json`,
  erasureRecord: (account: number, ref: string) =>
    `${root(account)}/erasure/records/${safeSegment(ref)}.json`,
  /**
   * The retention decision's own folder (workflows/retentionReminder.ts): its report (no personal
   * data: counts only), the progress of each place and, while it runs, the plan of what to delete.
   * The snapshot deletion deletes everything of the account except this folder.
   */
  retentionDir: (account: number) => `${root(account)}/retention/`,
  retentionReport: (account: number) => `${root(account)}/retention/report.json`,
  retentionReportMarkdown: (account: number) => `${root(account)}/retention/report.md`,
  retentionProgress: (account: number, place: string) =>
    `${root(account)}/retention/progress/${safeSegment(place)}.json`,
  /** The ids (or snapshot keys) a place will delete, in order, a part of at most 1,000 each. */
  retentionPlanDir: (account: number) => `${root(account)}/retention/plan/`,
  retentionPlanManifest: (account: number, place: string) =>
    `${root(account)}/retention/plan/${safeSegment(place)}/manifest.json`,
  retentionPlanPart: (account: number, place: string, index: number) =>
    `${root(account)}/retention/plan/${safeSegment(place)}/part-${String(index).padStart(6, '0')}.json`,
  /** Not sealed: the seal itself (and any later one). */
  isSealKey: (account: number, key: string) => key.startsWith(`${root(account)}/sealed`),
  /**
   * Stored plain even where the snapshot is encrypted: the router's rollout state, served to every
   * browser anyway and holding no personal data, so the router needs no blob key.
   */
  isPublic: (key: string) => /^rollout\/[A-Za-z0-9_-]{1,64}\.json$/.test(key),
  /** Outside acct-N: the router serves it to browsers and needs no migration data beside it. */
  rolloutState: (account: string) => {
    if (!ROUTER_ACCOUNT.test(account)) throw new Error(`invalid account id ${JSON.stringify(account)}`);
    return `rollout/${account}.json`;
  },
};
