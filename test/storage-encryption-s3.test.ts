/**
 * Encryption at rest on S3, against a real S3-compatible server (moto) on loopback: the project's
 * envelope over S3 (the same store contract, multipart uploads included), and SSE-KMS named in the
 * blob store URL, sent as x-amz-server-side-encryption headers on every write and recorded per object.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  createBlobStore,
  ENVELOPE_MAGIC,
  type ProtectedBlobStore,
  protectionSummary,
  S3BlobStore,
} from '../src/storage/index.js';
import { s3BucketSuite } from './helpers/s3Server.js';
import { chunkedStream, describeBlobStoreBehaviour, patternedBytes } from './storage.test.js';

const BUCKET = 'encryption-test';
const MiB = 1024 * 1024;
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('blob store encryption at rest on S3 (moto_server)', function () {
  this.timeout(120_000);
  const s3 = s3BucketSuite(BUCKET);
  const env = { BLOB_ENCRYPTION_KEY: randomBytes(32).toString('base64'), BLOB_ENCRYPTION_KEY_ID: 's3-key' };
  let counter = 0;
  const url = s3.storeUrl;

  async function rawObject(key: string) {
    const response = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = await response.Body?.transformToByteArray();
    return { response, bytes: Buffer.from(bytes ?? []) };
  }

  /** The S3 commands a store sends, with their input. */
  function recordCommands(store: ProtectedBlobStore) {
    const commands: { name: string; input: Record<string, unknown> }[] = [];
    (store.inner as S3BlobStore).client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push({ name: context.commandName ?? '?', input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize' },
    );
    return commands;
  }

  describeBlobStoreBehaviour('encrypted S3 (moto)', async () => {
    counter += 1;
    return createBlobStore(url(`behaviour-${counter}`, '&listPageSize=100'), { env });
  });

  it('keeps only ciphertext in the bucket, also for multipart uploads', async () => {
    const store = createBlobStore(url('envelope'), { env });
    const text = '{"name":"Jane Doe"}\n';
    await store.put('acct-1/export/contacts/chunk-000001.jsonl', text);
    const small = await rawObject('envelope/acct-1/export/contacts/chunk-000001.jsonl');
    assert.deepEqual(small.bytes.subarray(0, 8), ENVELOPE_MAGIC);
    assert.ok(!small.bytes.includes('Jane'));

    const bytes = patternedBytes(9 * MiB, 6);
    const info = await store.put('acct-1/attachments/c/m-0-video.mp4', chunkedStream(bytes), {
      contentType: 'video/mp4',
    });
    assert.equal(info.size, bytes.length);
    const big = await rawObject('envelope/acct-1/attachments/c/m-0-video.mp4');
    assert.deepEqual(big.bytes.subarray(0, 8), ENVELOPE_MAGIC);
    assert.ok(big.bytes.length > bytes.length, 'stored with the envelope overhead');
    assert.equal(big.response.ContentType, 'video/mp4');
    assert.deepEqual(await store.get('acct-1/attachments/c/m-0-video.mp4'), bytes);
    assert.equal((await store.stat('acct-1/attachments/c/m-0-video.mp4'))?.size, bytes.length);
  });

  it('sends SSE-KMS with the key named in the URL on every write, and needs no local key for it', async () => {
    const store = createBlobStore(url('kms', `&sse=aws:kms&kmsKeyId=${encodeURIComponent(KMS_KEY)}`), {
      env: {},
    });
    assert.deepEqual(store.writeProtection, { mode: 'server-side', sse: 'aws:kms', kmsKeyId: KMS_KEY });
    assert.match(store.url, /sse=aws%3Akms&kmsKeyId=arn%3Aaws%3Akms/);
    const commands = recordCommands(store);
    await store.put('acct-2/mapping.json', '{"m":1}', { contentType: 'application/json' });
    await store.put('acct-2/attachments/c/m-0-big.bin', chunkedStream(patternedBytes(9 * MiB, 2)));
    const writes = commands.filter((c) =>
      ['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand'].includes(c.name),
    );
    assert.deepEqual(
      writes.map((c) => c.name),
      ['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand'],
    );
    for (const write of writes) {
      assert.equal(write.input.ServerSideEncryption, 'aws:kms', write.name);
      assert.equal(write.input.SSEKMSKeyId, KMS_KEY, write.name);
    }
    // What moto keeps: it records the headers and reports them back (it does not encrypt, being a mock).
    for (const key of ['kms/acct-2/mapping.json', 'kms/acct-2/attachments/c/m-0-big.bin']) {
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(head.ServerSideEncryption, 'aws:kms', key);
      assert.equal(head.SSEKMSKeyId, KMS_KEY, key);
    }
    const read = await store.read('acct-2/mapping.json');
    assert.equal(read?.body.toString(), '{"m":1}');
    assert.deepEqual(read?.protection, { envelope: 'none', serverSide: 'aws:kms', kmsKeyId: KMS_KEY });
    assert.deepEqual(protectionSummary(read ? [read.protection] : []), {
      encrypted: 0,
      kmsOnly: 1,
      plain: 0,
      keyIds: [],
      kmsKeyIds: [KMS_KEY],
    });
  });

  it('adds the envelope under SSE-KMS when a key is configured too, and records both', async () => {
    const store = createBlobStore(url('both', `&kmsKeyId=${encodeURIComponent(KMS_KEY)}`), { env });
    assert.deepEqual(store.writeProtection, { mode: 'aes-256-gcm', keyId: 's3-key', serverSide: 'aws:kms' });
    await store.put('acct-3/report.json', '{"r":1}');
    assert.deepEqual((await store.read('acct-3/report.json'))?.protection, {
      envelope: 'aes-256-gcm',
      keyId: 's3-key',
      serverSide: 'aws:kms',
      kmsKeyId: KMS_KEY,
    });
  });

  it('refuses SSE-S3 as the only protection, and S3 without a key or KMS', async () => {
    assert.throws(
      () => createBlobStore(url('sse-s3', '&sse=AES256'), { env: {} }),
      /only guards against lost disks/,
    );
    assert.throws(() => createBlobStore(url('kms-empty', '&kmsKeyId='), { env: {} }), /kmsKeyId .* is empty/);
    const bare = createBlobStore(url('bare'), { env: {} });
    await assert.rejects(bare.put('acct-4/x.json', '{}'), /no encryption key is configured/);
    assert.equal(await (bare.inner as S3BlobStore).exists('acct-4/x.json'), false);
    // Opting out in the URL leaves the S3 parameters to the S3 store.
    const optedOut = createBlobStore(url('plain', '&encryption=none'), { env: {} });
    assert.ok(optedOut.inner instanceof S3BlobStore);
    await optedOut.put('acct-4/y.json', '{"y":1}');
    assert.equal((await rawObject('plain/acct-4/y.json')).bytes.toString(), '{"y":1}');
  });
});
