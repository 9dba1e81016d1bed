/**
 * A real S3-compatible server (moto) on loopback for tests. The server is installed on first use by
 * scripts/ensure-s3-server.sh into a cache directory outside the clone. Stores find credentials the
 * way they do in production, through the SDK's default chain: the server sets test credentials in
 * the environment while it runs and restores the previous values when stopped.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const ensureScript = fileURLToPath(new URL('../../../scripts/ensure-s3-server.sh', import.meta.url));

const TEST_ENVIRONMENT = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
};

export interface S3TestServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  client: S3Client;
  createBucket(bucket: string): Promise<void>;
  /** A blob store URL for createBlobStore / S3BlobStore.fromUrl; `extra` is appended ("&name=value"). */
  storeUrl(bucket: string, prefix: string, extra?: string): string;
  stop(): Promise<void>;
}

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

/** Starts moto_server; the first run on a machine installs it into a virtualenv, which takes a while. */
export async function startS3Server(): Promise<S3TestServer> {
  const { stdout } = await promisify(execFile)('bash', [ensureScript], { timeout: 590_000 });
  const executable = stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(executable.endsWith('moto_server'), `ensure-s3-server.sh printed ${stdout}`);

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  const server = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (data: Buffer) => {
    output += data.toString('utf8');
  });
  server.stderr?.on('data', (data: Buffer) => {
    output += data.toString('utf8');
  });
  const stopServer = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await waitUntilServing(`${endpoint}/moto-api/`, server, () => output);
  } catch (error) {
    await stopServer();
    throw error;
  }

  const savedEnvironment: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(TEST_ENVIRONMENT)) {
    savedEnvironment[name] = process.env[name];
    process.env[name] = value;
  }
  const client = new S3Client({ endpoint, region: TEST_ENVIRONMENT.AWS_REGION, forcePathStyle: true });
  return {
    endpoint,
    client,
    createBucket: async (bucket) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    storeUrl: (bucket, prefix, extra = '') =>
      `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&forcePathStyle=true${extra}`,
    stop: async () => {
      client.destroy();
      for (const [name, value] of Object.entries(savedEnvironment)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await stopServer();
    },
  };
}

/** A moto server with one bucket for the calling describe block: started before it, stopped after. */
export interface S3Bucket {
  /** The server's own client (raw objects, headers, uploads); there once the before hook has run. */
  client: S3Client;
  /** A blob store URL for `prefix` in the bucket, with `extra` query parameters ("&name=value"). */
  storeUrl(prefix: string, extra?: string): string;
}

export function s3BucketSuite(bucket: string): S3Bucket {
  let server: S3TestServer | undefined;
  const suite = {
    storeUrl: (prefix: string, extra = '') => {
      assert.ok(server, 'moto_server is running');
      return server.storeUrl(bucket, prefix, extra);
    },
  } as S3Bucket;
  before(async function () {
    // The first run on a machine installs moto into a virtualenv, which takes a while.
    this.timeout(600_000);
    server = await startS3Server();
    suite.client = server.client;
    await server.createBucket(bucket);
  });
  after(async () => {
    await server?.stop();
  });
  return suite;
}
