/**
 * The S3 store against a real S3-compatible server (moto) on loopback. The server is installed on
 * first use by scripts/ensure-s3-server.sh into a cache directory outside the clone.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { S3BlobStore, SHA256_METADATA_KEY } from '../src/storage/index.js';
import { s3BucketSuite } from './helpers/s3Server.js';
import { chunkedStream, describeBlobStoreBehaviour, patternedBytes } from './storage.test.js';

const BUCKET = 'migration-test';
const MiB = 1024 * 1024;

describe('S3BlobStore against moto_server', function () {
  this.timeout(60_000);
  const s3 = s3BucketSuite(BUCKET);
  const storeUrl = s3.storeUrl;

  let storeCounter = 0;

  // A small listing page makes the 250-key listing test cross several pages.
  describeBlobStoreBehaviour('S3 (moto)', async () => {
    storeCounter += 1;
    return S3BlobStore.fromUrl(storeUrl(`behaviour-${storeCounter}`, '&listPageSize=100'));
  });

  it('uploads a large stream in 8 MiB parts and records its sha256 as object metadata', async () => {
    const store = S3BlobStore.fromUrl(storeUrl('multipart'));
    const commands: string[] = [];
    store.client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize' },
    );
    const bytes = patternedBytes(2 * 8 * MiB + 1, 11);
    const info = await store.put('attachments/video.mp4', chunkedStream(bytes), { contentType: 'video/mp4' });
    // Three parts of 8 MiB, 8 MiB and 1 byte, then the metadata copy.
    assert.deepEqual(commands, [
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'CopyObjectCommand',
    ]);
    assert.equal(info.sha256, createHash('sha256').update(bytes).digest('hex'));
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'multipart/attachments/video.mp4' }),
    );
    assert.equal(head.ContentLength, bytes.length);
    assert.equal(head.ContentType, 'video/mp4');
    assert.equal(head.Metadata?.[SHA256_METADATA_KEY], info.sha256);

    await store.put('attachments/small.txt', 'small', { contentType: 'text/plain' });
    const smallHead = await s3.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'multipart/attachments/small.txt' }),
    );
    assert.equal(
      smallHead.Metadata?.[SHA256_METADATA_KEY],
      createHash('sha256').update('small').digest('hex'),
    );
    assert.deepEqual(commands.slice(6), ['PutObjectCommand']);
  });

  it('aborts the multipart upload when maxBytes is exceeded, leaving no parts behind', async () => {
    const store = S3BlobStore.fromUrl(storeUrl('aborted'));
    await assert.rejects(
      store.put('too/big.bin', chunkedStream(patternedBytes(17 * MiB)), { maxBytes: 16 * MiB }),
      /limit of 16777216 bytes/,
    );
    const uploads = await s3.client.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'aborted/' }),
    );
    assert.deepEqual(uploads.Uploads ?? [], []);
    assert.equal(await store.exists('too/big.bin'), false);
  });

  it('keeps keys of different prefixes apart', async () => {
    const first = S3BlobStore.fromUrl(storeUrl('tenant-a'));
    const second = S3BlobStore.fromUrl(storeUrl('tenant-ab'));
    await first.put('k.txt', 'a');
    await second.put('k.txt', 'b');
    const listed: string[] = [];
    for await (const key of first.list('')) listed.push(key);
    assert.deepEqual(listed, ['k.txt']);
    assert.equal((await second.get('k.txt'))?.toString('utf8'), 'b');
  });
});
