/**
 * Intercom-Version: requests without the header are served under the app's default version (older
 * than 2.15 by default), under which some routes behave as if they did not exist yet.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './http.js';

/** Versions the API accepts (the spec's enum). */
const API_VERSIONS = [
  '1.0',
  '1.1',
  '1.2',
  '1.3',
  '1.4',
  '2.0',
  '2.1',
  '2.2',
  '2.3',
  '2.4',
  '2.5',
  '2.6',
  '2.7',
  '2.8',
  '2.9',
  '2.10',
  '2.11',
  '2.12',
  '2.13',
  '2.14',
  '2.15',
  '2.16',
];
/** Macros and the deleted-conversations list need at least this version. */
const RECENT_VERSION = '2.15';

function versionRank(version: string): number {
  const [major, minor] = version.split('.').map(Number);
  return (major ?? 0) * 1000 + (minor ?? 0);
}

/** True when a request's version is recent enough for macros and deleted conversations. */
export function isRecent(rank: number): boolean {
  return rank >= versionRank(RECENT_VERSION);
}

/** The Intercom-Version header, or undefined when the request has none. */
export function requestedVersion(req: IncomingMessage): string | undefined {
  const header = req.headers['intercom-version'];
  return Array.isArray(header) ? header[0] : header;
}

export class ApiVersions {
  private readonly defaultRank: number;

  constructor(appDefaultVersion: string) {
    if (!API_VERSIONS.includes(appDefaultVersion)) {
      throw new Error(`unknown Intercom version ${appDefaultVersion}`);
    }
    this.defaultRank = versionRank(appDefaultVersion);
  }

  /** Refuses a version header the API does not know. */
  check(version: string | undefined): void {
    if (version !== undefined && !API_VERSIONS.includes(version)) {
      throw new ApiError(400, 'intercom_version_invalid', 'The requested version could not be found');
    }
  }

  /** The rank a request is served under: its header's, else the app default's. */
  rankOf(version: string | undefined): number {
    return version === undefined ? this.defaultRank : versionRank(version);
  }
}
