/**
 * The S3 store against a real S3-compatible server (moto) on loopback. The server is installed on
 * first use by scripts/ensure-s3-server.sh into a cache directory outside the clone.
 */

import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3BlobStore, SHA256_METADATA_KEY } from '../src/storage/index.js';
import { chunkedStream, describeBlobStoreBehaviour, patternedBytes } from './storage.test.js';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-s3-server.sh', import.meta.url));
const BUCKET = 'migration-test';
const MiB = 1024 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port from a TCP server');
  return address.port;
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not answer at ${url} within 30 s:\n${output()}`);
}

describe('S3BlobStore against moto_server', function () {
  this.timeout(60_000);
  let server: ChildProcess | undefined;
  let endpoint = '';
  let client: S3Client;
  const savedEnvironment: Record<string, string | undefined> = {};
  // The store finds credentials the way it does in production: through the SDK's default chain.
  const testEnvironment = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  };

  before(async function () {
    // The first run on a machine installs moto into a virtualenv, which takes a while.
    this.timeout(600_000);
    const { stdout } = await promisify(execFile)('bash', [ensureScript], { timeout: 590_000 });
    const executable = stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(executable.endsWith('moto_server'), `ensure-s3-server.sh printed ${stdout}`);

    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    let output = '';
    server = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
    });
    server.stderr?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
    });
    await waitUntilServing(`${endpoint}/moto-api/`, server, () => output);

    for (const [name, value] of Object.entries(testEnvironment)) {
      savedEnvironment[name] = process.env[name];
      process.env[name] = value;
    }
    client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    client?.destroy();
    for (const [name, value] of Object.entries(savedEnvironment)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (server && server.exitCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
  });

  let storeCounter = 0;
  function storeUrl(prefix: string, extra = ''): string {
    return `s3://${BUCKET}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&forcePathStyle=true${extra}`;
  }

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
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'multipart/attachments/video.mp4' }),
    );
    assert.equal(head.ContentLength, bytes.length);
    assert.equal(head.ContentType, 'video/mp4');
    assert.equal(head.Metadata?.[SHA256_METADATA_KEY], info.sha256);

    await store.put('attachments/small.txt', 'small', { contentType: 'text/plain' });
    const smallHead = await client.send(
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
    const uploads = await client.send(
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
