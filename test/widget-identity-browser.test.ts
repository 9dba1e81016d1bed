/**
 * A returning customer finds their history through the widget, end to end: after a migration into
 * the sandboxes (the real local Temporal server), a website page includes the loader as a site would
 * (window.intercomToChatwoot with the user's id, the router serving 100%), the loader loads the
 * Chatwoot sandbox's SDK, which starts the visitor's session and, on `chatwoot:ready`, identifies it
 * with `$chatwoot.setUser`. In headless Chromium (scripts/ensure-chromium.sh).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { type BrowserContext, chromium } from 'playwright-core';
import type { Contact } from '../src/clients/intercom/schemas.js';
import { type RouterLogger, startWidgetRouter, type WidgetRouter } from '../src/router/index.js';
import { putJson } from '../src/storage/blobStore.js';
import { LocalBlobStore } from '../src/storage/localStore.js';
import { statusQuery } from '../src/workflows/definitions.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';
import { waitFor } from './helpers/processes.js';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));
const ACCOUNT = 1;

describe('returning customers through the widget (headless Chromium, after a migration)', function () {
  this.timeout(600_000);
  let rig: MigrationRig;
  let handle: WorkflowHandle;
  let root: string;
  let userDataDir: string;
  let router: WidgetRouter;
  let pages: Server;
  let pagesUrl: string;
  let context: BrowserContext;
  const logger: RouterLogger = { error: () => undefined };
  /** What the site's page gets per visit, keyed by the ?visit= parameter. */
  const visits = new Map<string, Record<string, unknown>>();

  const account = () => rig.scenario.chatwoot.state.account(ACCOUNT);

  before(async function () {
    this.timeout(900_000);
    const { stdout } = await promisify(execFile)('bash', [ensureScript], { timeout: 890_000 });
    const executablePath = stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(executablePath.startsWith('/'), `ensure-chromium.sh printed ${stdout}`);

    rig = await startMigrationRig({
      scenario: { seed: 5, conversations: 12, partsPerConversation: 3, caseDuplicateContacts: 1 },
    });
    handle = await rig.start(
      rig.input({ rollout: { phaseDuration: '1s', deltaSyncInterval: '1h', autoStart: false } }),
    );
    await waitFor(
      'the migration to reach the rollout',
      async () => (await handle.query(statusQuery)).phase === 'rollout',
      { timeoutMs: 300_000, intervalMs: 500 },
    );

    root = await mkdtemp(join(tmpdir(), 'widget-identity-'));
    userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    const store = new LocalBlobStore(join(root, 'blobs'));
    await putJson(store, `rollout/${ACCOUNT}.json`, {
      account: String(ACCOUNT),
      percentage: 100,
      phase: 'at-100',
      updatedAt: new Date().toISOString(),
    });
    router = await startWidgetRouter({ store, port: 0, host: '127.0.0.1', cacheMs: 0, logger });
    // The website, on its own origin: the loader from the router, Chatwoot from the sandbox.
    pages = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://pages.invalid');
      const settings = visits.get(url.searchParams.get('visit') ?? '');
      if (url.pathname !== '/page' || !settings) {
        response.writeHead(404);
        response.end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>window.intercomToChatwoot = ${JSON.stringify(settings)};</script>
<script async src="${router.url}/loader.js"></script></head><body><h1>Shop</h1></body></html>`);
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
  });

  after(async () => {
    await context?.close();
    await router?.close();
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    await handle?.terminate('test over').catch(() => undefined);
    await rig?.close();
    if (root) await rm(root, { recursive: true, force: true });
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  /** A user with an external id, imported, with conversations, whose e-mail no other contact shares. */
  function returningUser(skip: number): { user: Contact; contactId: number; conversations: number[] } {
    const candidates = rig.scenario.intercom.dataset.contacts
      .filter((contact) => (contact.external_id ?? '').trim() !== '')
      .map((user) => {
        const imported = account().contacts.find((c) => c.identifier === (user.external_id as string).trim());
        const conversations = imported
          ? account()
              .conversations.filter((c) => c.contactId === imported.id)
              .map((c) => c.displayId)
          : [];
        return { user, contactId: imported?.id ?? -1, conversations };
      })
      .filter((candidate) => candidate.conversations.length > 0);
    const chosen = candidates[skip];
    assert.ok(chosen, `a returning user number ${skip + 1} with history`);
    return chosen;
  }

  /** The contact of the visitor's widget session: the cw_conversation cookie names its contact inbox. */
  async function sessionContactId(): Promise<number | undefined> {
    const cookie = (await context.cookies(pagesUrl)).find((c) => c.name === 'cw_conversation');
    if (!cookie) return undefined;
    const payload = JSON.parse(
      Buffer.from(decodeURIComponent(cookie.value).split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { source_id: string };
    return account().contactInboxes.find((contactInbox) => contactInbox.sourceId === payload.source_id)
      ?.contactId;
  }

  async function visit(name: string, settings: Record<string, unknown>) {
    visits.set(name, {
      account: String(ACCOUNT),
      routerUrl: router.url,
      chatwoot: { baseUrl: rig.scenario.chatwoot.url, websiteToken: rig.scenario.widget.websiteToken },
      intercom: { appId: 'abc123' },
      timeoutMs: 5000,
      ...settings,
    });
    await context.clearCookies();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      // Failed requests are reported below with their address (the browser's own favicon.ico is no error).
      if (message.text().startsWith('Failed to load resource')) return;
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) {
        errors.push(`${response.status()} ${response.url()}`);
      }
    });
    await page.goto(`${pagesUrl}/page?visit=${name}`);
    await page.waitForFunction(
      () => document.documentElement.getAttribute('data-chat-widget') === 'chatwoot',
    );
    await page.waitForFunction(
      () => (window as { $chatwoot?: { hasLoaded?: boolean } }).$chatwoot?.hasLoaded,
    );
    return { page, errors };
  }

  it('identifies the visitor as the imported contact, with its conversations, and creates no contact', async () => {
    const { user, contactId, conversations } = returningUser(0);
    const contactsBefore = account().contacts.length;
    const { page, errors } = await visit('returning', {
      userId: user.external_id,
      // What the site gave Intercom: the loader passes it on, as Chatwoot's setUser needs a name or an e-mail.
      intercom: {
        appId: 'abc123',
        settings: { name: user.name ?? 'Customer', email: user.email ?? undefined },
      },
    });
    await waitFor(
      'the widget session to be the imported contact',
      async () => (await sessionContactId()) === contactId,
      {
        timeoutMs: 20_000,
      },
    );
    const contact = account().contacts.find((c) => c.id === contactId);
    assert.equal(contact?.identifier, (user.external_id as string).trim());
    assert.deepEqual(
      account()
        .conversations.filter((c) => c.contactId === contactId)
        .map((c) => c.displayId),
      conversations,
      'the imported conversations are on the contact the visitor is',
    );
    // The widget's anonymous contact was merged into the imported one: no contact more than before.
    assert.equal(account().contacts.length, contactsBefore);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('passes the identifier hash the site computes when the inbox enforces identity validation', async () => {
    const widgetInbox = account().inboxes.find((inbox) => inbox.id === rig.scenario.widget.inboxId);
    assert.ok(widgetInbox);
    widgetInbox.hmacMandatory = true;
    try {
      const { user, contactId } = returningUser(1);
      const externalId = user.external_id as string;
      // Without the hash Chatwoot refuses setUser: the visitor stays anonymous.
      const anonymous = await visit('unsigned', {
        userId: externalId,
        chatwoot: {
          baseUrl: rig.scenario.chatwoot.url,
          websiteToken: rig.scenario.widget.websiteToken,
          user: { name: user.name ?? 'Customer' },
        },
      });
      await anonymous.page.waitForTimeout(1500);
      assert.notEqual(await sessionContactId(), contactId);
      await anonymous.page.close();

      const identifierHash = createHmac('sha256', rig.scenario.widget.hmacToken)
        .update(externalId)
        .digest('hex');
      const signed = await visit('signed', {
        userId: externalId,
        chatwoot: {
          baseUrl: rig.scenario.chatwoot.url,
          websiteToken: rig.scenario.widget.websiteToken,
          user: { name: user.name ?? 'Customer' },
          identifierHash,
        },
      });
      await waitFor(
        'the signed visitor to be the imported contact',
        async () => (await sessionContactId()) === contactId,
        {
          timeoutMs: 20_000,
        },
      );
      const sourceCookie = (await context.cookies(pagesUrl)).find((c) => c.name === 'cw_conversation');
      const sourceId = (
        JSON.parse(
          Buffer.from(
            decodeURIComponent(sourceCookie?.value ?? '').split('.')[1] ?? '',
            'base64url',
          ).toString('utf8'),
        ) as { source_id: string }
      ).source_id;
      assert.equal(
        account().contactInboxes.find((contactInbox) => contactInbox.sourceId === sourceId)?.hmacVerified,
        true,
      );
      await signed.page.close();
    } finally {
      widgetInbox.hmacMandatory = false;
    }
  });
});
