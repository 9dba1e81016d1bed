/**
 * A blob store in a local directory: the default for development, the demo and single-machine runs.
 * Objects are plain files named by their key, so an operator can inspect an export with ordinary tools.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  assertSafeKey,
  assertSafePrefix,
  type BlobInfo,
  type BlobStore,
  MeasuredBody,
  type PutOptions,
} from './blobStore.js';

interface Sidecar {
  contentType?: string;
  sha256: string;
  size: number;
}

/*
 * Files that are not objects carry a '~', a character no key may contain (see assertSafeKey), so they
 * can never collide with an object and list() recognises them by name alone.
 */
const SIDECAR_SUFFIX = '~.meta.json';
const TEMP_MARKER = '~tmp-';
const SAFE_SEGMENT = /^[A-Za-z0-9._=-]+$/;
const KNOWN_DIRECTORIES_MAX = 256;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // ENOTDIR: a key below a path that is an object, EISDIR: a key that is only a "directory" of others.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

export class LocalBlobStore implements BlobStore {
  readonly rootDir: string;
  readonly url: string;
  private readonly knownDirectories = new Set<string>();

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
    this.url = pathToFileURL(this.rootDir).href;
  }

  async put(key: string, body: string | Uint8Array | Readable, options: PutOptions = {}): Promise<BlobInfo> {
    const path = this.pathOf(key);
    const measured = new MeasuredBody(key, body, options.maxBytes);
    // Written beside the target and renamed over it, so readers see the old object or the new one,
    // never a half-written file, and a failed put leaves the old object in place.
    const tempPath = `${path}${TEMP_MARKER}${randomUUID()}`;
    try {
      const whole = measured.whole();
      await this.inDirectory(
        dirname(path),
        () =>
          // Most objects (records, markers, manifests) are small and already in memory: one write,
          // not a stream's open, writes and close.
          whole
            ? writeFile(tempPath, whole, { flag: 'wx' })
            : pipeline(Readable.from(measured.chunks()), createWriteStream(tempPath, { flags: 'wx' })),
        whole !== undefined,
      );
      await rename(tempPath, path);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    const info: BlobInfo = { key, size: measured.size, sha256: measured.sha256() };
    if (options.contentType === undefined) {
      await rm(`${path}${SIDECAR_SUFFIX}`, { force: true });
    } else {
      info.contentType = options.contentType;
      const sidecar: Sidecar = { contentType: options.contentType, sha256: info.sha256, size: info.size };
      const sidecarTemp = `${path}${SIDECAR_SUFFIX}${TEMP_MARKER}${randomUUID()}`;
      await writeFile(sidecarTemp, JSON.stringify(sidecar), { flag: 'wx' });
      await rename(sidecarTemp, `${path}${SIDECAR_SUFFIX}`);
    }
    return info;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable | undefined> {
    // Opened here rather than inside the stream so that absence is reported as undefined, not as a
    // stream error the caller meets later.
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.pathOf(key), 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return undefined;
      }
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return handle.createReadStream();
  }

  async stat(key: string): Promise<{ size: number; contentType?: string } | undefined> {
    const path = this.pathOf(key);
    let size: number;
    try {
      const stats = await stat(path);
      if (!stats.isFile()) return undefined;
      size = stats.size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const sidecar = await this.readSidecar(path);
    return sidecar?.contentType === undefined ? { size } : { size, contentType: sidecar.contentType };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertSafePrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const startDir = slash < 0 ? '' : prefix.slice(0, slash + 1);
    yield* this.walk(startDir, prefix);
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(`${path}${SIDECAR_SUFFIX}`, { force: true });
    try {
      const stats = await stat(path);
      if (stats.isFile()) await rm(path, { force: true });
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  /**
   * Runs `write` (which creates a file in `dir`) once `dir` exists. A directory this store made is
   * remembered, so that a put of a whole body does not ask for it again; one removed since (by hand,
   * say) is made again when the write finds it missing. A stream cannot be written twice, so its
   * directory is always made first.
   */
  private async inDirectory<T>(dir: string, write: () => Promise<T>, retryable: boolean): Promise<T> {
    if (!retryable || !this.knownDirectories.has(dir)) {
      await mkdir(dir, { recursive: true });
      // Bounded: the few shared directories (records, markers) come back at their next put, while
      // a directory per conversation's attachments would otherwise pile up over a long import.
      if (this.knownDirectories.size >= KNOWN_DIRECTORIES_MAX) this.knownDirectories.clear();
      this.knownDirectories.add(dir);
      return write();
    }
    try {
      return await write();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.knownDirectories.delete(dir);
      return this.inDirectory(dir, write, retryable);
    }
  }

  private pathOf(key: string): string {
    const path = join(this.rootDir, assertSafeKey(key));
    // assertSafeKey already excludes '..'; this guards against a future change of that rule.
    if (!path.startsWith(this.rootDir + sep)) throw new Error(`blob key ${key} escapes ${this.rootDir}`);
    return path;
  }

  private async readSidecar(path: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(`${path}${SIDECAR_SUFFIX}`, 'utf8')) as Sidecar;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /**
   * Depth-first walk that yields keys in exact lexical order without collecting them first: every key
   * below directory `d` starts with `d/`, so ordering siblings by `name/` for directories and `name`
   * for files orders whole keys. `relDir` is '' or ends with '/'.
   */
  private async *walk(relDir: string, prefix: string): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.rootDir, relDir), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    const candidates = entries
      .filter((entry) => SAFE_SEGMENT.test(entry.name) && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({
        sortKey: `${relDir}${entry.name}${entry.isDirectory() ? '/' : ''}`,
        isDirectory: entry.isDirectory(),
      }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { sortKey, isDirectory } of candidates) {
      if (isDirectory) {
        if (sortKey.startsWith(prefix) || prefix.startsWith(sortKey)) yield* this.walk(sortKey, prefix);
      } else if (sortKey.startsWith(prefix)) {
        yield sortKey;
      }
    }
  }
}
