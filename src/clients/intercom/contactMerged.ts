/**
 * Intercom 2.16, GET /contacts/{id} and GET /contacts/find_by_external_id/{id}: a contact merged into
 * another (POST /contacts/merge) answers 410 Gone, with the error code `contact_merged` and a header
 * `Link: </contacts/{canonical_id}>; rel="canonical"` naming the final merge target (Intercom resolves
 * chains of up to 3 merges itself). Everything that contact held now belongs to the canonical one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from '../httpCore.js';
import { HttpFailure } from '../httpFailure.js';
import { IntercomErrorBody } from './schemas.js';

export class ContactMergedFailure extends HttpFailure {
  constructor(
    endpoint: string,
    /** The contact it was merged into, from the Link header. */
    readonly canonicalId: string,
  ) {
    super(
      `Intercom says the contact at ${endpoint} was merged into contact ${canonicalId} (410 contact_merged)`,
      'intercom',
      410,
      false,
    );
    this.name = 'ContactMergedFailure';
  }
}

/**
 * The canonical contact id of a Link header (RFC 8288: one or more `<uri>; param` links separated by
 * commas): the link whose rel is "canonical", else the only link there is; its path must be
 * /contacts/{id} (absolute or relative, any host or version prefix).
 */
export function canonicalContactId(link: string | undefined): string | undefined {
  if (!link) return undefined;
  const links = [...link.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)].map((match) => ({
    target: match[1] ?? '',
    canonical: /;\s*rel\s*=\s*"?([^";,]*\s)?canonical(\s[^";,]*)?"?/i.test(match[2] ?? ''),
  }));
  const chosen =
    links.find((candidate) => candidate.canonical) ?? (links.length === 1 ? links[0] : undefined);
  if (!chosen) return undefined;
  let path: string;
  try {
    path = new URL(chosen.target, 'https://api.intercom.io').pathname;
  } catch {
    return undefined;
  }
  const id = /\/contacts\/([^/]+)\/?$/.exec(path)?.[1];
  if (!id) return undefined;
  try {
    return decodeURIComponent(id);
  } catch {
    return undefined;
  }
}

/** The 410 contact_merged failure of an answer, when it is one and names the canonical contact. */
export function contactMergedFailure(
  status: number,
  endpoint: string,
  headers: IncomingHttpHeaders,
  bodyText: string,
): ContactMergedFailure | undefined {
  if (status !== 410) return undefined;
  let merged = false;
  try {
    const body = IntercomErrorBody.safeParse(JSON.parse(bodyText));
    merged = body.success && body.data.errors.some((error) => error.code === 'contact_merged');
  } catch {
    merged = false;
  }
  const canonicalId = canonicalContactId(headerValue(headers, 'link'));
  if (!merged || canonicalId === undefined) return undefined;
  return new ContactMergedFailure(endpoint, canonicalId);
}
