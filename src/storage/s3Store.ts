/**
 * A blob store in an S3 bucket (AWS S3 or any S3-compatible server: MinIO, Ceph, R2, moto), for
 * workers spread over several machines. Credentials come from the AWS SDK's default provider chain
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles), never from the store URL.
 */

import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  assertSafeKey,
  assertSafePrefix,
  type BlobInfo,
  type BlobProtection,
  type BlobStore,
  MeasuredBody,
  type PutOptions,
} from './blobStore.js';

/** Size of every multipart part but the last: S3 wants at least 5 MiB and allows 10,000 parts. */
export const MULTIPART_PART_SIZE = 8 * 1024 * 1024;

/** The object metadata entry (x-amz-meta-sha256) holding the lower-case hex sha256 of the object. */
export const SHA256_METADATA_KEY = 'sha256';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/'; '' for the bucket root. */
  prefix?: string;
  /** For S3-compatible servers, e.g. http://127.0.0.1:9000. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (http://host/bucket/key), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  /** ListObjectsV2 page size (MaxKeys); S3's default and maximum is 1000. */
  listPageSize?: number;
  /** A ready client, e.g. with explicit credentials; endpoint/region/forcePathStyle are then ignored. */
  client?: S3Client;
  /**
   * Server-side encryption requested on every write (x-amz-server-side-encryption): SSE-KMS with the
   * named key, or the bucket's default KMS key (aws/s3) without one.
   */
  serverSideEncryption?: { sse: ServerSideKms; kmsKeyId?: string };
}

export type ServerSideKms = 'aws:kms' | 'aws:kms:dsse';
const SERVER_SIDE_KMS = new Set<string>(['aws:kms', 'aws:kms:dsse']);

const URL_PARAMETERS = new Set(['endpoint', 'region', 'forcePathStyle', 'listPageSize', 'sse', 'kmsKeyId']);

/**
 * Parses `s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=true&listPageSize=...`, with
 * `sse=aws:kms&kmsKeyId=<key id, ARN or alias>` for SSE-KMS (kmsKeyId alone implies sse=aws:kms).
 */
export function parseS3Url(url: string): S3BlobStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `invalid S3 blob store URL ${JSON.stringify(url)}: expected s3://bucket/prefix?endpoint=...`,
    );
  }
  if (parsed.protocol !== 's3:') throw new Error(`not an S3 blob store URL: ${url}`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Error(
      'S3 blob store URLs must not carry credentials; set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ' +
        'or use an AWS profile instead',
    );
  }
  if (parsed.hostname === '') throw new Error(`S3 blob store URL ${url} names no bucket`);
  for (const name of parsed.searchParams.keys()) {
    if (!URL_PARAMETERS.has(name)) {
      throw new Error(
        `unknown S3 blob store URL parameter ${name}; known: ${[...URL_PARAMETERS].join(', ')}`,
      );
    }
  }
  const options: S3BlobStoreOptions = {
    bucket: parsed.hostname,
    prefix: decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, ''),
  };
  const endpoint = parsed.searchParams.get('endpoint');
  if (endpoint !== null) options.endpoint = endpoint;
  const region = parsed.searchParams.get('region');
  if (region !== null) options.region = region;
  const forcePathStyle = parsed.searchParams.get('forcePathStyle');
  if (forcePathStyle !== null) {
    if (forcePathStyle !== 'true' && forcePathStyle !== 'false') {
      throw new Error(`forcePathStyle must be true or false, got ${forcePathStyle}`);
    }
    options.forcePathStyle = forcePathStyle === 'true';
  }
  const listPageSize = parsed.searchParams.get('listPageSize');
  if (listPageSize !== null) {
    const size = Number(listPageSize);
    if (!Number.isInteger(size) || size < 1 || size > 1000) {
      throw new Error(`listPageSize must be an integer from 1 to 1000, got ${listPageSize}`);
    }
    options.listPageSize = size;
  }
  const sse = parsed.searchParams.get('sse');
  const kmsKeyId = parsed.searchParams.get('kmsKeyId');
  if (sse !== null || kmsKeyId !== null) {
    const mode = sse ?? 'aws:kms';
    if (!SERVER_SIDE_KMS.has(mode)) {
      throw new Error(
        `sse=${mode} in the S3 blob store URL: use aws:kms (or aws:kms:dsse) with kmsKeyId=<KMS key>; ` +
          "S3's default AES256 (SSE-S3) applies to every bucket already and only guards against lost disks",
      );
    }
    if (kmsKeyId === '')
      throw new Error('kmsKeyId in the S3 blob store URL is empty: name a KMS key or leave it out');
    options.serverSideEncryption = {
      sse: mode as ServerSideKms,
      ...(kmsKeyId === null ? {} : { kmsKeyId }),
    };
  }
  return options;
}

function isNotFound(error: unknown): boolean {
  // GetObject says NoSuchKey; HeadObject has no body, so the SDK can only name its 404 NotFound.
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}

function isPreconditionFailed(error: unknown): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412;
}

export class S3BlobStore implements BlobStore {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly keyBase: string;
  private readonly listPageSize: number | undefined;
  readonly serverSideEncryption: { sse: ServerSideKms; kmsKeyId?: string } | undefined;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    if (this.prefix !== '') assertSafeKey(this.prefix);
    this.keyBase = this.prefix === '' ? '' : `${this.prefix}/`;
    this.listPageSize = options.listPageSize;
    this.client = options.client ?? S3BlobStore.createClient(options);
    const query = new URLSearchParams();
    if (options.endpoint !== undefined) query.set('endpoint', options.endpoint);
    if (options.region !== undefined) query.set('region', options.region);
    if (options.forcePathStyle !== undefined) query.set('forcePathStyle', String(options.forcePathStyle));
    this.serverSideEncryption = options.serverSideEncryption;
    if (this.serverSideEncryption !== undefined) {
      query.set('sse', this.serverSideEncryption.sse);
      if (this.serverSideEncryption.kmsKeyId !== undefined)
        query.set('kmsKeyId', this.serverSideEncryption.kmsKeyId);
    }
    const search = query.size > 0 ? `?${query.toString()}` : '';
    this.url = `s3://${this.bucket}${this.prefix === '' ? '' : `/${this.prefix}`}${search}`;
  }

  static fromUrl(url: string, overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
    return new S3BlobStore({ ...parseS3Url(url), ...overrides });
  }

  private static createClient(options: S3BlobStoreOptions): S3Client {
    const region =
      options.region ??
      // S3-compatible servers seldom care about the region, but the SDK refuses to sign without one.
      (options.endpoint !== undefined ? (process.env.AWS_REGION ?? 'us-east-1') : undefined);
    return new S3Client({
      ...(region === undefined ? {} : { region }),
      ...(options.endpoint === undefined
        ? {}
        : {
            endpoint: options.endpoint,
            // Recent SDKs add CRC32 checksums to every upload by default, which several S3-compatible
            // servers reject; the store verifies content with its own sha256 instead.
            requestChecksumCalculation: 'WHEN_REQUIRED' as const,
            responseChecksumValidation: 'WHEN_REQUIRED' as const,
          }),
      ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
    });
  }

  async put(key: string, body: string | Uint8Array | Readable, options: PutOptions = {}): Promise<BlobInfo> {
    const objectKey = this.objectKeyOf(key);
    const measured = new MeasuredBody(key, body, options.maxBytes);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let upload: MultipartUpload | undefined;
    try {
      for await (const chunk of measured.chunks()) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= MULTIPART_PART_SIZE) {
          const joined = Buffer.concat(pending);
          upload ??= await MultipartUpload.start(this.client, this.bucket, objectKey, {
            ContentType: options.contentType,
            ...this.sseParameters(),
          });
          await upload.uploadPart(joined.subarray(0, MULTIPART_PART_SIZE));
          const rest = joined.subarray(MULTIPART_PART_SIZE);
          pending = rest.length > 0 ? [rest] : [];
          pendingBytes = rest.length;
        }
      }
      const info: BlobInfo = { key, size: measured.size, sha256: measured.sha256() };
      if (options.contentType !== undefined) info.contentType = options.contentType;
      const metadata = { [SHA256_METADATA_KEY]: info.sha256 };
      if (upload === undefined) {
        // Small enough for one request: a plain PutObject, with the sha256 known up front.
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: Buffer.concat(pending),
            ContentType: options.contentType,
            Metadata: metadata,
            ...this.sseParameters(),
          }),
        );
        return info;
      }
      if (pendingBytes > 0) await upload.uploadPart(Buffer.concat(pending));
      const etag = await upload.complete();
      upload = undefined;
      await this.attachMetadata(objectKey, etag, options.contentType, metadata);
      return info;
    } catch (error) {
      await upload?.abort();
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const body = await this.getBody(key);
    if (body === undefined) return undefined;
    const bytes = await body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const body = await this.getBody(key);
    if (body === undefined) return undefined;
    if (!(body instanceof Readable)) throw new Error('the S3 client returned a non-Node stream body');
    return body;
  }

  async stat(key: string): Promise<{ size: number; contentType?: string } | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKeyOf(key) }),
      );
      const size = head.ContentLength ?? 0;
      return head.ContentType === undefined ? { size } : { size, contentType: head.ContentType };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertSafePrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.keyBase}${prefix}`,
          ContinuationToken: continuationToken,
          MaxKeys: this.listPageSize,
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.keyBase.length);
        // Objects written by other tools under the prefix may not be valid keys; they are not ours.
        if (key !== undefined && isSafeKey(key)) yield key;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for absent keys too, so deleting twice is harmless.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKeyOf(key) }));
  }

  /** The object with the server-side encryption S3 reports for it (GetObject's SSE headers). */
  async read(key: string): Promise<{ body: Buffer; protection: BlobProtection } | undefined> {
    const response = await this.getObject(key);
    if (response === undefined) return undefined;
    const bytes = await (response.Body as NonNullable<typeof response.Body>).transformToByteArray();
    const protection: BlobProtection = { envelope: 'none' };
    if (response.ServerSideEncryption !== undefined) protection.serverSide = response.ServerSideEncryption;
    if (response.SSEKMSKeyId !== undefined) protection.kmsKeyId = response.SSEKMSKeyId;
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), protection };
  }

  private sseParameters(): { ServerSideEncryption?: ServerSideKms; SSEKMSKeyId?: string } {
    const sse = this.serverSideEncryption;
    if (sse === undefined) return {};
    return sse.kmsKeyId === undefined
      ? { ServerSideEncryption: sse.sse }
      : { ServerSideEncryption: sse.sse, SSEKMSKeyId: sse.kmsKeyId };
  }

  private objectKeyOf(key: string): string {
    return `${this.keyBase}${assertSafeKey(key)}`;
  }

  private async getBody(key: string) {
    return (await this.getObject(key))?.Body;
  }

  private async getObject(key: string) {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKeyOf(key) }),
      );
      if (response.Body === undefined) throw new Error(`S3 returned no body for ${key}`);
      return response;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * A multipart upload fixes its metadata when it starts, before the sha256 is known, so the finished
   * object is copied onto itself with the metadata added. The copy is conditional on the ETag of what
   * we completed: if another writer has replaced the object meanwhile, theirs stands untouched.
   */
  private async attachMetadata(
    objectKey: string,
    etag: string | undefined,
    contentType: string | undefined,
    metadata: Record<string, string>,
  ): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          CopySource: `${this.bucket}/${objectKey}`,
          CopySourceIfMatch: etag,
          MetadataDirective: 'REPLACE',
          ContentType: contentType,
          Metadata: metadata,
          // A copy is a new write: without the headers again it would take the bucket's default.
          ...this.sseParameters(),
        }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
}

function isSafeKey(key: string): boolean {
  try {
    assertSafeKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hand-written rather than @aws-sdk/lib-storage's Upload, which is not a dependency of this project:
 * it needs only the four calls below, uploads parts one at a time (so at most one part is buffered
 * and the source stream is paused meanwhile), and aborts on any failure so no orphaned parts keep
 * costing storage.
 */
class MultipartUpload {
  private readonly parts: { ETag: string | undefined; PartNumber: number }[] = [];

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
  ) {}

  static async start(
    client: S3Client,
    bucket: string,
    key: string,
    headers: { ContentType?: string; ServerSideEncryption?: ServerSideKms; SSEKMSKeyId?: string },
  ): Promise<MultipartUpload> {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...headers }),
    );
    if (created.UploadId === undefined) throw new Error(`S3 gave no UploadId for ${key}`);
    return new MultipartUpload(client, bucket, key, created.UploadId);
  }

  async uploadPart(bytes: Buffer): Promise<void> {
    const partNumber = this.parts.length + 1;
    const response = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber: partNumber,
        Body: bytes,
      }),
    );
    this.parts.push({ ETag: response.ETag, PartNumber: partNumber });
  }

  /** Returns the ETag of the assembled object. */
  async complete(): Promise<string | undefined> {
    const response = await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    return response.ETag;
  }

  /** Best effort: the error that made us abort is the one worth reporting. */
  async abort(): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }),
      );
    } catch {
      // Should the abort itself fail, a bucket lifecycle rule (AbortIncompleteMultipartUpload) is what
      // reclaims the parts; nothing here can do better.
    }
  }
}
