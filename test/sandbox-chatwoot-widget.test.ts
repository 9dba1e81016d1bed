/**
 * The Chatwoot sandbox's website widget behaves as Chatwoot 4.x's: a visitor's session
 * (widgets_controller.rb, website_token_helper.rb, Widget::TokenService), setUser
 * (api/v1/widget/contacts_controller.rb with its HMAC check) and ContactIdentifyAction's merge rules
 * (app/actions/contact_identify_action.rb), and the contact merge API
 * (accounts/actions/contact_merges_controller.rb, app/actions/contact_merge_action.rb).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { DEFAULT_CHATWOOT_ACCOUNTS } from '../src/sandbox/chatwoot/seed.js';
import { ADMIN_TOKEN, request as send } from './helpers/chatwootApi.js';

const A1 = '/api/v1/accounts/1';

describe('Chatwoot sandbox website widget', () => {
  let sandbox: ChatwootSandbox;
  let websiteToken: string;
  let hmacToken: string;
  let archiveInboxId: number;

  const api = (method: string, path: string, body?: unknown) =>
    send(`${sandbox.url}${A1}${path}`, method, { token: ADMIN_TOKEN, body });
  const openWidget = async (cwConversation?: string) => {
    const query = `website_token=${websiteToken}${cwConversation ? `&cw_conversation=${cwConversation}` : ''}`;
    const page = await send(`${sandbox.url}/widget?${query}`, 'GET');
    assert.equal(page.status, 200, page.text);
    const token = /window\.authToken = "([^"]+)"/.exec(page.text)?.[1];
    assert.ok(token, 'the widget page sets window.authToken');
    return token;
  };
  const setUser = (token: string, body: Record<string, unknown>) =>
    send(`${sandbox.url}/api/v1/widget/contact/set_user?website_token=${websiteToken}`, 'PATCH', {
      headers: { 'x-auth-token': token },
      body,
    });
  const account = () => sandbox.state.account(1);
  const sessionContactId = (token: string) => {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      source_id: string;
    };
    return account().contactInboxes.find((contactInbox) => contactInbox.sourceId === payload.source_id)
      ?.contactId;
  };
  const createContact = async (fields: Record<string, unknown>) => {
    const answer = await api('POST', '/contacts', fields);
    assert.equal(answer.status, 200, answer.text);
    return (answer.json.payload as { contact: { id: number } }).contact.id;
  };
  const createConversation = async (contactId: number) => {
    const answer = await api('POST', '/conversations', { inbox_id: archiveInboxId, contact_id: contactId });
    assert.equal(answer.status, 200, answer.text);
    return Number(answer.json.id);
  };

  beforeEach(async () => {
    sandbox = await startChatwootSandbox({
      accounts: [
        {
          ...(DEFAULT_CHATWOOT_ACCOUNTS[0] as (typeof DEFAULT_CHATWOOT_ACCOUNTS)[number]),
          inboxes: [{ name: 'Website', channelType: 'web_widget' }],
        },
      ],
    });
    const widget = account().inboxes.find((inbox) => inbox.channelType === 'Channel::WebWidget');
    assert.ok(widget);
    websiteToken = widget.inboxIdentifier;
    hmacToken = widget.hmacToken;
    const archive = await api('POST', '/inboxes', { name: 'Intercom archive', channel: { type: 'api' } });
    archiveInboxId = Number(archive.json.id);
  });

  afterEach(() => sandbox.close());

  it('serves the SDK that a website loads from /packs/js/sdk.js', async () => {
    const sdk = await send(`${sandbox.url}/packs/js/sdk.js`, 'GET');
    assert.equal(sdk.status, 200);
    assert.match(sdk.text, /window\.chatwootSDK = \{ run: run \}/);
  });

  it('gives a new visitor an anonymous contact, and the same one again for its cw_conversation token', async () => {
    const before = account().contacts.length;
    const token = await openWidget();
    const contactId = sessionContactId(token);
    assert.ok(contactId);
    assert.equal(account().contacts.length, before + 1);
    const visitor = account().contacts.find((contact) => contact.id === contactId);
    assert.equal(visitor?.identifier, null);
    assert.equal(visitor?.email, null);
    assert.match(visitor?.name ?? '', /^[a-z]+-[a-z]+-\d+$/);
    assert.equal(await openWidget(token), token);
    assert.equal(account().contacts.length, before + 1);
    // A token signed elsewhere is no session: a new visitor.
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`;
    assert.notEqual(sessionContactId(await openWidget(forged)), contactId);
  });

  it('answers an unknown website token, and an API call without a session, with 404', async () => {
    const page = await send(`${sandbox.url}/widget?website_token=nope`, 'GET');
    assert.equal(page.status, 404);
    const answer = await setUser('not-a-token', { identifier: 'user-1', name: 'Ann' });
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.json, { error: 'Resource could not be found' });
  });

  it('merges the visitor into the contact that has the identifier: same id, its conversations, no new contact', async () => {
    const imported = await createContact({
      identifier: 'user-1001',
      name: 'Ann Lee',
      email: 'ann@example.com',
    });
    const conversation = await createConversation(imported);
    const token = await openWidget();
    const visitorId = sessionContactId(token);
    const answer = await setUser(token, {
      identifier: 'user-1001',
      name: 'Ann L.',
      email: 'ann@example.com',
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.id, imported);
    assert.equal(answer.json.widget_auth_token, undefined);
    assert.equal(sessionContactId(token), imported);
    assert.equal(
      account().contacts.some((contact) => contact.id === visitorId),
      false,
      'the anonymous contact is merged away',
    );
    const contact = account().contacts.find((candidate) => candidate.id === imported);
    assert.equal(contact?.name, 'Ann L.');
    assert.equal(contact?.identifier, 'user-1001');
    const conversations = await api('GET', `/contacts/${imported}/conversations`);
    assert.deepEqual(
      (conversations.json.payload as { id: number }[]).map((c) => c.id),
      [conversation],
    );
  });

  it('does not merge by e-mail into a contact with another identifier, and drops the e-mail instead', async () => {
    const imported = await createContact({
      identifier: 'intercom:abc',
      name: 'Ann Lee',
      email: 'ann@example.com',
    });
    const token = await openWidget();
    const visitorId = sessionContactId(token);
    const answer = await setUser(token, { identifier: 'user-1001', name: 'Ann', email: 'ann@example.com' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.id, visitorId);
    assert.equal(answer.json.email, null);
    const visitor = account().contacts.find((contact) => contact.id === visitorId);
    assert.equal(visitor?.identifier, 'user-1001');
    assert.equal(account().contacts.find((contact) => contact.id === imported)?.email, 'ann@example.com');
  });

  it('merges by e-mail into a contact without an identifier, which then takes it', async () => {
    const known = await createContact({ name: 'Bo', email: 'bo@example.com', phone_number: '+14155550100' });
    await createConversation(known);
    const token = await openWidget();
    const answer = await setUser(token, { identifier: 'user-7', email: 'bo@example.com' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.id, known);
    const contact = account().contacts.find((candidate) => candidate.id === known);
    assert.equal(contact?.identifier, 'user-7');
    assert.equal(contact?.phoneNumber, '+14155550100');
    assert.equal(contact?.name, 'Bo', 'the base keeps its name; the anonymous one only fills blanks');
  });

  it('keeps the e-mail before an invalid one (discard_invalid_attrs) and a phone that is not E.164', async () => {
    const token = await openWidget();
    await setUser(token, { identifier: 'user-9', email: 'nine@example.com', phone_number: '+14155550199' });
    const answer = await setUser(token, {
      identifier: 'user-9',
      email: 'not an email',
      phone_number: '555-0199',
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.email, 'nine@example.com');
    assert.equal(answer.json.phone_number, '+14155550199');
  });

  it('gives a visitor identified as someone else a new contact and a new token (a_different_contact?)', async () => {
    const token = await openWidget();
    const first = await setUser(token, { identifier: 'user-1', name: 'One' });
    const second = await setUser(token, { identifier: 'user-2', name: 'Two' });
    assert.equal(second.status, 200, second.text);
    assert.notEqual(second.json.id, first.json.id);
    const newToken = second.json.widget_auth_token;
    assert.equal(typeof newToken, 'string');
    assert.equal(sessionContactId(newToken as string), second.json.id);
    assert.equal(sessionContactId(token), first.json.id, 'the old session stays with the first user');
  });

  it('verifies identifier_hash (HMAC-SHA256 of the identifier with the inbox hmac_token)', async () => {
    const hash = createHmac('sha256', hmacToken).update('user-5').digest('hex');
    const token = await openWidget();
    const wrong = await setUser(token, {
      identifier: 'user-5',
      name: 'Five',
      identifier_hash: `${hash[0] === '0' ? '1' : '0'}${hash.slice(1)}`,
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json, { error: 'HMAC failed: Invalid Identifier Hash Provided' });
    assert.equal(account().contacts.find((c) => c.id === sessionContactId(token))?.identifier, null);
    const right = await setUser(token, { identifier: 'user-5', name: 'Five', identifier_hash: hash });
    assert.equal(right.status, 200, right.text);
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      source_id: string;
    };
    assert.equal(
      account().contactInboxes.find((contactInbox) => contactInbox.sourceId === payload.source_id)
        ?.hmacVerified,
      true,
    );
  });

  it('refuses setUser without identifier_hash when the inbox has hmac_mandatory', async () => {
    const widget = account().inboxes.find((inbox) => inbox.channelType === 'Channel::WebWidget');
    assert.ok(widget);
    const update = await api('PATCH', `/inboxes/${widget.id}`, { channel: { hmac_mandatory: true } });
    assert.equal(update.status, 200, update.text);
    assert.equal(update.json.hmac_mandatory, true);
    const token = await openWidget();
    const refused = await setUser(token, { identifier: 'user-5', name: 'Five' });
    assert.equal(refused.status, 401);
    const hash = createHmac('sha256', hmacToken).update('user-5').digest('hex');
    assert.equal(
      (await setUser(token, { identifier: 'user-5', name: 'Five', identifier_hash: hash })).status,
      200,
    );
  });

  it('merges contacts through POST /actions/contact_merge: the base keeps its id, identifier and history', async () => {
    const base = await createContact({
      identifier: 'intercom:abc',
      name: 'Ann Lee',
      custom_attributes: { plan: 'pro' },
    });
    const imported = await createConversation(base);
    const mergee = await createContact({
      identifier: 'user-1001',
      name: 'quiet-river-12',
      email: 'ann@example.com',
      custom_attributes: { plan: 'free', seats: 3 },
    });
    const live = await createConversation(mergee);
    const answer = await api('POST', '/actions/contact_merge', {
      base_contact_id: base,
      mergee_contact_id: mergee,
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.id, base);
    assert.equal(answer.json.identifier, 'intercom:abc');
    assert.equal(answer.json.name, 'Ann Lee');
    assert.equal(answer.json.email, 'ann@example.com', 'a blank of the base is filled from the mergee');
    assert.deepEqual(answer.json.custom_attributes, { plan: 'pro', seats: 3 });
    assert.equal((await api('GET', `/contacts/${mergee}`)).status, 404);
    const conversations = await api('GET', `/contacts/${base}/conversations`);
    assert.deepEqual(
      (conversations.json.payload as { id: number }[]).map((c) => c.id).sort(),
      [imported, live].sort(),
    );
    // The identifier is free now: the base can take it.
    const rekeyed = await api('PUT', `/contacts/${base}`, { identifier: 'user-1001' });
    assert.equal(rekeyed.status, 200, rekeyed.text);
    assert.equal(
      (await api('POST', '/actions/contact_merge', { base_contact_id: base, mergee_contact_id: 999 })).status,
      404,
    );
  });
});
