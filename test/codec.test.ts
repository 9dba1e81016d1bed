/**
 * The payload codec (AES-256-GCM with key ids), its codec server's HTTP contract as the Web UI and CLI
 * use it, and a migration on the real local Temporal server whose stored history is ciphertext.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload, ValueError } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import {
  AesGcmPayloadCodec,
  codecKeysFromEnv,
  ENCRYPTED_ENCODING,
  keyFingerprint,
  METADATA_ENCRYPTION_KEY_ID,
  payloadCodecFromEnv,
  type RunningCodecServer,
  startCodecServer,
} from '../src/codec/index.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value) as Payload;
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

const secretRecord = {
  email: 'ann.lee0@example.com',
  name: 'Ann Lee',
  body: '<p>My order <b>#1234</b> has not arrived</p>',
};

describe('AES-256-GCM payload codec', () => {
  const current = key('2025-01');
  const codec = new AesGcmPayloadCodec({ current });

  it('encrypts every payload, names the key, and decodes back to the same payload', async () => {
    const original = toPayload(secretRecord);
    const [encoded] = await codec.encode([original]);
    assert.equal(text(encoded.metadata?.[METADATA_ENCODING_KEY]), ENCRYPTED_ENCODING);
    assert.equal(text(encoded.metadata?.[METADATA_ENCRYPTION_KEY_ID]), '2025-01');
    // The original encoding (json/plain) is inside the ciphertext, not next to it.
    assert.deepEqual(Object.keys(encoded.metadata ?? {}).sort(), ['encoding', 'encryption-key-id']);
    for (const secret of [secretRecord.email, secretRecord.name, 'json/plain']) {
      assert.ok(!Buffer.from(encoded.data ?? []).includes(secret), `${secret} visible in ciphertext`);
    }
    const [decoded] = await codec.decode([encoded]);
    assert.deepEqual(fromPayload(decoded), secretRecord);
    assert.equal(text(decoded.metadata?.[METADATA_ENCODING_KEY]), 'json/plain');
  });

  it('round-trips any JSON value, with a fresh IV each time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const payload = toPayload(value);
        const [a, b] = await codec.encode([payload, payload]);
        assert.ok(!Buffer.from(a.data ?? []).equals(Buffer.from(b.data ?? [])));
        const [back] = await codec.decode([a]);
        assert.deepEqual(Buffer.from(back.data ?? []), Buffer.from(payload.data ?? []));
        assert.deepEqual(fromPayload(back), fromPayload(payload));
      }),
      { numRuns: 200 },
    );
  });

  it('passes payloads that were never encrypted through unchanged', async () => {
    const plain = toPayload({ started: 'before encryption was turned on' });
    const [decoded] = await codec.decode([plain]);
    assert.equal(decoded, plain);
  });

  it('detects tampering with the IV, the ciphertext, the tag or the length', async () => {
    const [encoded] = await codec.encode([toPayload(secretRecord)]);
    const data = Buffer.from(encoded.data ?? []);
    const flipped = (index: number) => {
      const copy = Buffer.from(data);
      copy[index] ^= 0x01;
      return { ...encoded, data: copy };
    };
    const altered = [
      flipped(0),
      flipped(12),
      flipped(Math.floor(data.length / 2)),
      flipped(data.length - 1),
      { ...encoded, data: data.subarray(0, data.length - 1) },
      { ...encoded, data: data.subarray(0, 20) },
      { ...encoded, data: Buffer.concat([data, Buffer.from([0])]) },
    ];
    for (const payload of altered) {
      await assert.rejects(codec.decode([payload]), (error: unknown) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /altered|too short/);
        return true;
      });
    }
  });

  it('refuses the wrong key, and names a key id it does not know', async () => {
    const [encoded] = await codec.encode([toPayload(secretRecord)]);
    const impostor = new AesGcmPayloadCodec({ current: key('2025-01') });
    await assert.rejects(impostor.decode([encoded]), /failed authentication with key "2025-01"/);
    const stranger = new AesGcmPayloadCodec({ current: key('2026-01') });
    await assert.rejects(stranger.decode([encoded]), /key "2025-01", which is not configured/);
    const unlabelled = { ...encoded, metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) } };
    await assert.rejects(codec.decode([unlabelled]), /no encryption-key-id/);
  });

  it('rotates keys: new payloads use the new key, old ones stay readable while the old key is configured', async () => {
    const rotated = key('2025-07');
    const before = new AesGcmPayloadCodec({ current });
    const after = new AesGcmPayloadCodec({ current: rotated, previous: [current] });
    const [old] = await before.encode([toPayload({ written: 'before rotation' })]);
    const [fresh] = await after.encode([toPayload({ written: 'after rotation' })]);
    assert.equal(text(fresh.metadata?.[METADATA_ENCRYPTION_KEY_ID]), '2025-07');
    const decoded = await after.decode([old, fresh]);
    assert.deepEqual(decoded.map(fromPayload), [
      { written: 'before rotation' },
      { written: 'after rotation' },
    ]);
    // Workers still on the old key alone cannot read what rotated workers wrote.
    await assert.rejects(before.decode([fresh]), /key "2025-07", which is not configured/);
    assert.deepEqual(after.keyIds, ['2025-07', '2025-01']);
  });

  it('refuses malformed keys and key ids', () => {
    assert.throws(() => new AesGcmPayloadCodec({ current: { id: 'short', key: randomBytes(16) } }), /32/);
    assert.throws(() => new AesGcmPayloadCodec({ current: { id: 'a b', key: randomBytes(32) } }), /key id/);
    assert.throws(
      () => new AesGcmPayloadCodec({ current: key('same'), previous: [key('same')] }),
      /two different keys/,
    );
  });
});

describe('payload codec configuration from the environment', () => {
  const newKey = randomBytes(32);
  const oldKey = randomBytes(32);
  const olderKey = randomBytes(32);

  it('is off without PAYLOAD_CODEC_KEY', () => {
    assert.equal(codecKeysFromEnv({}), undefined);
    assert.equal(payloadCodecFromEnv({ PAYLOAD_CODEC_KEY: '  ' }), undefined);
  });

  it('reads the current key, its id, and the old keys with or without ids', () => {
    const keys = codecKeysFromEnv({
      PAYLOAD_CODEC_KEY: newKey.toString('base64'),
      PAYLOAD_CODEC_KEY_ID: 'v3',
      PAYLOAD_CODEC_OLD_KEYS: ` v2:${oldKey.toString('base64')} , ${olderKey.toString('base64')},`,
    });
    assert.ok(keys);
    assert.equal(keys.current.id, 'v3');
    assert.deepEqual(Buffer.from(keys.current.key), newKey);
    assert.deepEqual(
      keys.previous?.map((k) => [k.id, Buffer.from(k.key).toString('hex')]),
      [
        ['v2', oldKey.toString('hex')],
        [keyFingerprint(olderKey), olderKey.toString('hex')],
      ],
    );
  });

  it('derives a stable key id from the key when none is given, so rotation without ids still works', async () => {
    const first = payloadCodecFromEnv({ PAYLOAD_CODEC_KEY: oldKey.toString('base64') });
    const second = payloadCodecFromEnv({
      PAYLOAD_CODEC_KEY: newKey.toString('base64'),
      PAYLOAD_CODEC_OLD_KEYS: oldKey.toString('base64'),
    });
    assert.ok(first && second);
    assert.match(first.currentKeyId, /^k-[0-9a-f]{12}$/);
    assert.notEqual(first.currentKeyId, second.currentKeyId);
    const [encoded] = await first.encode([toPayload(secretRecord)]);
    assert.deepEqual(fromPayload((await second.decode([encoded]))[0]), secretRecord);
  });

  it('refuses keys that are not the base64 of 32 bytes', () => {
    for (const bad of [randomBytes(16).toString('base64'), 'not base64!', `${newKey.toString('base64')}x`]) {
      assert.throws(() => codecKeysFromEnv({ PAYLOAD_CODEC_KEY: bad }), /exactly 32 bytes/);
    }
    assert.throws(
      () =>
        codecKeysFromEnv({ PAYLOAD_CODEC_KEY: newKey.toString('base64'), PAYLOAD_CODEC_OLD_KEYS: 'v1:abc' }),
      /PAYLOAD_CODEC_OLD_KEYS/,
    );
  });
});

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function jsonPayload(value: unknown): JsonPayload {
  const payload = toPayload(value);
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

function jsonPayloadValue(payload: JsonPayload): unknown {
  return fromPayload({
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  });
}

describe('codec server (the Web UI and CLI contract)', () => {
  const uiOrigin = 'http://localhost:8233';
  const codec = new AesGcmPayloadCodec({ current: key('ui-test') });
  let server: RunningCodecServer;
  let guarded: RunningCodecServer;

  before(async () => {
    server = await startCodecServer({ codec });
    guarded = await startCodecServer({
      codec,
      allowedOrigins: ['https://temporal-ui.internal'],
      authorization: 'Bearer codec-secret',
      namespaces: ['support-migration'],
    });
  });

  after(async () => {
    await server?.close();
    await guarded?.close();
  });

  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('encodes and decodes {payloads: [...]} with base64 metadata and data', async () => {
    const values = [secretRecord, 'plain text', 42, null];
    const encodedResponse = await post(server.url, '/encode', { payloads: values.map(jsonPayload) });
    assert.equal(encodedResponse.status, 200);
    assert.match(encodedResponse.headers.get('content-type') ?? '', /application\/json/);
    const encoded = (await encodedResponse.json()) as { payloads: JsonPayload[] };
    assert.equal(encoded.payloads.length, values.length);
    for (const payload of encoded.payloads) {
      assert.equal(Buffer.from(payload.metadata?.encoding ?? '', 'base64').toString(), ENCRYPTED_ENCODING);
      assert.ok(!Buffer.from(payload.data ?? '', 'base64').includes(secretRecord.email));
    }
    const decodedResponse = await post(server.url, '/decode', encoded);
    assert.equal(decodedResponse.status, 200);
    const decoded = (await decodedResponse.json()) as { payloads: JsonPayload[] };
    assert.deepEqual(decoded.payloads.map(jsonPayloadValue), values);
  });

  it('serves the CLI form /{namespace}/decode and tolerates empty batches', async () => {
    const [encrypted] = await codec.encode([toPayload(secretRecord)]);
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encrypted.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(encrypted.data ?? []).toString('base64'),
        },
      ],
    };
    const response = await post(server.url, '/default/decode', body);
    assert.equal(response.status, 200);
    assert.deepEqual(
      ((await response.json()) as { payloads: JsonPayload[] }).payloads.map(jsonPayloadValue),
      [secretRecord],
    );
    const empty = await post(server.url, '/decode', { payloads: [] });
    assert.deepEqual(await empty.json(), { payloads: [] });
  });

  it('answers the browser preflight for the UI origin with the headers the UI sends', async () => {
    const response = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: uiOrigin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), uiOrigin);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['content-type', 'x-namespace', 'authorization'])
      assert.ok(allowed.includes(header));
    assert.match(response.headers.get('vary') ?? '', /Origin/);

    const actual = await post(server.url, '/decode', { payloads: [] }, { Origin: uiOrigin });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers.get('access-control-allow-origin'), uiOrigin);
  });

  it('refuses other origins without CORS headers, so their pages cannot read decrypted data', async () => {
    const [encrypted] = await codec.encode([toPayload(secretRecord)]);
    const response = await post(
      server.url,
      '/decode',
      { payloads: [{ metadata: {}, data: Buffer.from(encrypted.data ?? []).toString('base64') }] },
      { Origin: 'https://evil.example' },
    );
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.ok(!(await response.text()).includes(secretRecord.email));
  });

  it('requires the configured Authorization header and namespace', async () => {
    const origin = { Origin: 'https://temporal-ui.internal', 'X-Namespace': 'support-migration' };
    const missing = await post(guarded.url, '/decode', { payloads: [] }, origin);
    assert.equal(missing.status, 401);
    // The error is readable by the allowed UI, so it can tell the operator what is wrong.
    assert.equal(missing.headers.get('access-control-allow-origin'), 'https://temporal-ui.internal');
    const wrong = await post(
      guarded.url,
      '/decode',
      { payloads: [] },
      { ...origin, Authorization: 'Bearer no' },
    );
    assert.equal(wrong.status, 401);
    const right = { ...origin, Authorization: 'Bearer codec-secret' };
    assert.equal((await post(guarded.url, '/decode', { payloads: [] }, right)).status, 200);
    const otherNamespace = await post(
      guarded.url,
      '/decode',
      { payloads: [] },
      { ...right, 'X-Namespace': 'default' },
    );
    assert.equal(otherNamespace.status, 403);
    const preflight = await fetch(`${guarded.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://temporal-ui.internal', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204, 'browsers send no credentials on preflight');
  });

  it('answers bad requests with clear errors and never a decoded payload', async () => {
    const [encrypted] = await codec.encode([toPayload(secretRecord)]);
    const data = Buffer.from(encrypted.data ?? []);
    data[20] ^= 0xff;
    const tampered = await post(server.url, '/decode', {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encrypted.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: data.toString('base64'),
        },
      ],
    });
    assert.equal(tampered.status, 422);
    assert.match(((await tampered.json()) as { error: string }).error, /altered/);

    assert.equal((await post(server.url, '/decode', '{"payloads": "nope"}')).status, 400);
    assert.equal((await post(server.url, '/decode', 'not json')).status, 400);
    assert.equal((await post(server.url, '/decode', { payloads: [{ data: '%%%' }] })).status, 400);
    const form = await post(server.url, '/decode', { payloads: [] }, { 'Content-Type': 'text/plain' });
    assert.equal(form.status, 415);
    assert.equal((await fetch(`${server.url}/decode`)).status, 405);
    assert.equal((await post(server.url, '/download', { payloads: [] })).status, 404);
  });

  it('refuses oversized bodies', async () => {
    const small = await startCodecServer({ codec, maxBodyBytes: 1024 });
    try {
      const response = await post(small.url, '/encode', { payloads: [jsonPayload('x'.repeat(4096))] });
      assert.equal(response.status, 413);
    } finally {
      await small.close();
    }
  });
});

type HistoryPayload = proto.temporal.api.common.v1.IPayload;

/** Every payload in a history, with where it sits. */
function payloadsIn(value: unknown, path: string, found: { path: string; payload: HistoryPayload }[]): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      payloadsIn(item, `${path}[${index}]`, found);
    });
    return;
  }
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && record.data instanceof Uint8Array) {
    found.push({ path, payload: record as HistoryPayload });
    return;
  }
  for (const [name, child] of Object.entries(record)) payloadsIn(child, `${path}.${name}`, found);
}

describe('a migration with the payload codec on the real local Temporal server', function () {
  this.timeout(180_000);
  const codec = new AesGcmPayloadCodec({ current: key('it-1') });
  let rig: MigrationRig;
  let env: TestWorkflowEnvironment;
  let scenario: Scenario;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 23,
        conversations: 6,
        partsPerConversation: 3,
        attachmentEvery: 3,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
      client: (temporal) =>
        new Client({
          connection: temporal.connection,
          namespace: 'default',
          dataConverter: { payloadCodecs: [codec] },
        }),
      payloadCodec: codec,
    });
    ({ env, scenario } = rig);
  });

  after(() => rig?.close());

  it('stores only ciphertext in Temporal, and the codec reads it back', async () => {
    const { blobStoreUrl } = rig;
    const input = rig.input();
    const handle = await rig.start(input);
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.reconciliation.missing, 0);
    assert.ok(result.reconciliation.conversations.found > 0);

    // Read the stored histories as the Temporal Server, its database or an operator without the key would.
    const plainClient = env.client;
    const plaintextNeedles = [
      blobStoreUrl,
      scenario.intercom.url,
      scenario.chatwoot.url,
      'Intercom archive',
      ...scenario.intercom.dataset.contacts.flatMap((c) => [c.email, c.name]).filter((s): s is string => !!s),
    ];
    let histories = 0;
    let encryptedPayloads = 0;
    for await (const execution of plainClient.workflow.list()) {
      const history = await plainClient.workflow
        .getHandle(execution.workflowId, execution.runId)
        .fetchHistory();
      histories++;
      const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
      for (const needle of plaintextNeedles) {
        assert.ok(!bytes.includes(needle), `${execution.workflowId}: "${needle}" stored in plaintext`);
      }
      const found: { path: string; payload: HistoryPayload }[] = [];
      payloadsIn(history.events, 'events', found);
      for (const { path, payload } of found) {
        // Search attributes are indexed by the server, and patch markers hold only the patch id: the SDK
        // never runs either through the codec.
        if (/searchAttributes|\.patch-data\./.test(path)) continue;
        assert.equal(
          text(payload.metadata?.[METADATA_ENCODING_KEY]),
          ENCRYPTED_ENCODING,
          `${execution.workflowId} ${path} is not encrypted`,
        );
        assert.equal(text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]), 'it-1');
        encryptedPayloads++;
      }
      if (execution.workflowId === 'migration-1') {
        const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
        const stored = started?.input?.payloads ?? [];
        assert.equal(stored.length, 1);
        const [decoded] = await codec.decode(stored as Payload[]);
        assert.deepEqual(fromPayload(decoded), input);
      }
    }
    assert.ok(histories > 6, `expected the migration's child workflows too, saw ${histories} histories`);
    assert.ok(encryptedPayloads > histories, `only ${encryptedPayloads} payloads checked`);
  });
  it('encrypts failure messages too: a failed migration says why only to holders of the key', async () => {
    const handle = await rig.start(rig.input({ account: 4242 }));
    const failure = await handle.result().then(
      () => assert.fail('an unknown account must fail the preflight'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof WorkflowFailedError);
    const reason = /Chatwoot account 4242 does not exist/;
    assert.match(String(failure.cause?.message), reason, 'the key holder reads the reason');

    const history = await env.client.workflow.getHandle('migration-4242').fetchHistory();
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
    assert.ok(!bytes.includes('does not exist'), 'the reason is not stored in plaintext');
    assert.ok(!bytes.includes('checkAccess ('), 'nor the stack trace');
    const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes);
    const stored = failed?.workflowExecutionFailedEventAttributes?.failure;
    assert.equal(stored?.message, 'Encoded failure', 'Temporal keeps a placeholder message');
    assert.ok(stored?.encodedAttributes, 'the message travels as an encrypted payload');
    const plainFailure = await env.client.workflow
      .getHandle('migration-4242')
      .result()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    // Without the key the failure cannot even be decoded: the client reports the encrypted encoding.
    assert.ok(plainFailure instanceof Error, String(plainFailure));
    const plainText = `${plainFailure.message} ${String(plainFailure.cause)}`;
    assert.doesNotMatch(plainText, reason, 'a client without the key cannot read it');
  });
});
