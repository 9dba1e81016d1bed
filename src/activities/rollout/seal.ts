/**
 * The sealed manifest (blobLayout.sealedManifest): every blob of the account with its size, sha256 (of
 * the plaintext) and protection at rest. Written at cut-over (publishing.ts, sealSnapshot), and
 * written again whenever the account's own tools rewrite the snapshot afterwards (an erasure on
 * request, activities/erasure/snapshot.ts): a seal that no longer matches the chunks would make every
 * later check cry tampering, and an erasure must not look like one. A re-seal keeps the cut-over time
 * and appends why it was renewed and the sha256 of the seal it replaces, so the chain of seals is
 * itself checkable.
 */
import {
  type BlobProtection,
  type BlobStore,
  type ProtectionSummary,
  protectionSummary,
  putJson,
  readWithProtection,
} from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { sha256Hex } from '../manifests.js';

export interface SealedFile {
  key: string;
  size: number;
  sha256: string;
  protection: BlobProtection;
}

/** Why a seal was written again after cut-over, and what it replaced. */
export interface Reseal {
  at: string;
  /** e.g. "erasure <ref>": ids only, never personal data. */
  reason: string;
  /** sha256 of the seal this one replaced, as it was stored (plaintext). */
  previousSha256: string;
  /** Files the previous seal listed that are gone, and files whose content changed. */
  removed: number;
  changed: number;
}

export interface SealedManifest {
  account: number;
  sealedAt: string;
  protection: ProtectionSummary;
  files: SealedFile[];
  reseals?: Reseal[];
}

async function listSealable(store: BlobStore, account: number): Promise<SealedFile[]> {
  const files: SealedFile[] = [];
  for await (const key of store.list(blobLayout.accountPrefix(account))) {
    if (blobLayout.isSealKey(account, key)) continue;
    const read = await readWithProtection(store, key);
    if (read) {
      files.push({ key, size: read.body.length, sha256: sha256Hex(read.body), protection: read.protection });
    }
  }
  return files;
}

/** The seal of cut-over: every blob as it is now. */
export async function sealAccount(store: BlobStore, account: number): Promise<string> {
  const files = await listSealable(store, account);
  const sealedKey = blobLayout.sealedManifest(account);
  await putJson(store, sealedKey, {
    account,
    sealedAt: new Date().toISOString(),
    protection: protectionSummary(files.map((file) => file.protection)),
    files,
  } satisfies SealedManifest);
  return sealedKey;
}

/**
 * The seal written again after a rewrite, when there is one (a snapshot not sealed yet is left
 * unsealed: cut-over seals it). Answers what changed against the previous seal, or undefined.
 */
export async function resealAccount(
  store: BlobStore,
  account: number,
  reason: string,
  at = new Date().toISOString(),
): Promise<Reseal | undefined> {
  const sealedKey = blobLayout.sealedManifest(account);
  const previousBody = (await readWithProtection(store, sealedKey))?.body;
  if (!previousBody) return undefined;
  const previous = JSON.parse(previousBody.toString('utf8')) as SealedManifest;
  const files = await listSealable(store, account);
  const now = new Map(files.map((file) => [file.key, file.sha256]));
  const reseal: Reseal = {
    at,
    reason,
    previousSha256: sha256Hex(previousBody),
    removed: previous.files.filter((file) => !now.has(file.key)).length,
    changed: previous.files.filter((file) => now.has(file.key) && now.get(file.key) !== file.sha256).length,
  };
  await putJson(store, sealedKey, {
    account,
    sealedAt: previous.sealedAt,
    protection: protectionSummary(files.map((file) => file.protection)),
    files,
    reseals: [...(previous.reseals ?? []), reseal],
  } satisfies SealedManifest);
  return reseal;
}
