/**
 * Rack::Attack as Chatwoot 4.10 deploys it (config/initializers/rack_attack.rb), for the routes the
 * migration calls:
 * - `safelist('trusted IPs', &:allowed_ip?)`: requests whose `remote_ip` is 127.0.0.1, ::1 or listed in
 *   RACK_ATTACK_ALLOWED_IPS (`split(',').map(&:strip)`, exact strings: no CIDR ranges) skip every
 *   throttle and are not counted.
 * - `throttle('req/ip', limit: RACK_ATTACK_LIMIT || 3000, period: 1.minute, &:ip)`.
 * - `throttle('/api/v1/accounts/:account_id/contacts/search', limit: RATE_LIMIT_CONTACT_SEARCH || 100,
 *   period: 1.minute)` keyed by account id, matched unanchored on the path.
 * Rack::Attack checks the throttles in order and stops at the first that refuses (`throttles.any?`),
 * so a request refused by req/ip does not count against the search throttle. Periods are fixed windows
 * (`Time.now.to_i / period` is in the cache key), and a refused request still counts in its window.
 * `Rack::Attack.enabled` is ENABLE_RACK_ATTACK (default true) in production, false elsewhere.
 *
 * The client's address: `remote_ip` is ActionDispatch::RemoteIp's, `ip` is Rack::Request#ip. Chatwoot
 * sets no `trusted_proxies` (config/environments/production.rb), so both trust loopback and private
 * networks as proxies, and with the same trusted set they pick the same address: REMOTE_ADDR unless it
 * is a trusted proxy; then the right-most X-Forwarded-For entry that is not; else the left-most entry.
 * So behind a proxy on a private network every client counts by its own forwarded address, and a proxy
 * that forwards without X-Forwarded-For makes every request loopback (or private) and, if loopback, exempt.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { MinuteThrottle } from './throttle.js';

/** Rails' ActionDispatch::RemoteIp::TRUSTED_PROXIES, which Rack's default ip_filter also trusts. */
const trustedProxies = new BlockList();
trustedProxies.addSubnet('127.0.0.0', 8, 'ipv4');
trustedProxies.addSubnet('10.0.0.0', 8, 'ipv4');
trustedProxies.addSubnet('172.16.0.0', 12, 'ipv4');
trustedProxies.addSubnet('192.168.0.0', 16, 'ipv4');
trustedProxies.addAddress('::1', 'ipv6');
trustedProxies.addSubnet('fc00::', 7, 'ipv6');

function isTrustedProxy(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trustedProxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The client address Rails sees: see the header comment. Invalid X-Forwarded-For entries are dropped. */
export function railsClientIp(remoteAddr: string, forwardedFor: string | undefined): string {
  if (!isTrustedProxy(remoteAddr)) return remoteAddr;
  const forwarded = (forwardedFor ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => isIP(entry) !== 0);
  const untrusted = forwarded.filter((entry) => !isTrustedProxy(entry));
  return untrusted.at(-1) ?? forwarded[0] ?? remoteAddr;
}

/** `ENV.fetch('RACK_ATTACK_ALLOWED_IPS', '').split(',').map(&:strip)` plus the two loopback addresses. */
export function allowedIps(rackAttackAllowedIps = ''): Set<string> {
  // Ruby's ''.split(',') is [], JavaScript's is [''].
  const listed =
    rackAttackAllowedIps === '' ? [] : rackAttackAllowedIps.split(',').map((entry) => entry.trim());
  return new Set(['127.0.0.1', '::1', ...listed]);
}

/** A documentation address (RFC 5737): the workers as Chatwoot sees them from another host. */
export const DEFAULT_CLIENT_ADDRESS = '192.0.2.10';

export interface RackAttackOptions {
  /** ENABLE_RACK_ATTACK on a production deployment; default true. */
  enabled?: boolean;
  /** RACK_ATTACK_LIMIT; default 3000. */
  limitPerMinute?: number;
  /** RATE_LIMIT_CONTACT_SEARCH; default 100. */
  contactSearchPerMinute?: number;
  /** RACK_ATTACK_ALLOWED_IPS as the environment variable holds it, e.g. "203.0.113.7, 198.51.100.2". */
  allowedIps?: string;
  /**
   * REMOTE_ADDR as Rails would see it. The sandbox is reached over loopback, which Chatwoot exempts from
   * every throttle, so by default it stands for workers on another host (DEFAULT_CLIENT_ADDRESS). Set a
   * proxy's private address (e.g. 172.18.0.2) to have X-Forwarded-For read as Rails reads it behind a
   * proxy, 127.0.0.1 for a worker on Chatwoot's own host, or 'socket' for the connection's real address.
   */
  clientAddress?: string;
}

export class RackAttack {
  private readonly enabled: boolean;
  private readonly safelist: Set<string>;
  private readonly clientAddress: string;
  private readonly perIp: MinuteThrottle;
  private readonly contactSearch: MinuteThrottle;

  constructor(options: RackAttackOptions, now: () => number) {
    this.enabled = options.enabled ?? true;
    this.safelist = allowedIps(options.allowedIps);
    this.clientAddress = options.clientAddress ?? DEFAULT_CLIENT_ADDRESS;
    this.perIp = new MinuteThrottle(options.limitPerMinute ?? 3000, now);
    this.contactSearch = new MinuteThrottle(options.contactSearchPerMinute ?? 100, now);
  }

  /** The address the throttle keys on and the safelist compares. */
  clientIp(req: IncomingMessage): string {
    const remoteAddr =
      this.clientAddress === 'socket'
        ? // Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; Puma gives a.b.c.d.
          (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '')
        : this.clientAddress;
    const forwarded = req.headers['x-forwarded-for'];
    return railsClientIp(remoteAddr, Array.isArray(forwarded) ? forwarded.join(',') : forwarded);
  }

  /** Counts the request as Rack::Attack does; true when it must be answered 429. */
  throttled(req: IncomingMessage, path: string): boolean {
    if (!this.enabled) return false;
    const ip = this.clientIp(req);
    if (this.safelist.has(ip)) return false;
    if (this.perIp.hit(ip)) return true;
    const searchAccount = /\/api\/v1\/accounts\/(\d+)\/contacts\/search/.exec(path)?.[1];
    return searchAccount !== undefined && this.contactSearch.hit(searchAccount);
  }
}
