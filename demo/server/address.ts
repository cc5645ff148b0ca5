import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which client a connection belongs to, for the per-address limits (shield.ts, http-guards.ts): one normal form per
 * client, whether it comes as a TCP peer or an `X-Forwarded-For` entry.
 */

/**
 * The client address a request counts against. Without `trustProxy` it is the TCP peer; with `trustProxy` = N (N
 * reverse proxies in front of the gateway) it is the Nth `X-Forwarded-For` entry from the right, the one the
 * outermost trusted proxy appended, so entries a client wrote itself are never believed. IPv4-mapped IPv6 addresses
 * count as IPv4, and IPv6 addresses by their /64 network, which one subscriber usually holds whole.
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustProxy = 0): string {
  const peer = req.socket?.remoteAddress ?? '';
  if (trustProxy > 0) {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    const forwarded = hops.length > 0 ? normalizeAddress(hops[Math.max(0, hops.length - trustProxy)]!) : undefined;
    if (forwarded) return forwarded;
  }
  return normalizeAddress(peer) ?? 'unknown';
}

/** One address as a client's key (see `clientAddress`), or undefined when `raw` is not an IP address. */
export function normalizeAddress(raw: string): string | undefined {
  let address = raw.trim();
  // "[2001:db8::1]:443" and "203.0.113.7:51234", as some proxies write them.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:([\d.]+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
  return undefined;
}

/** The eight groups of an IPv6 address, without leading zeros (zone ids dropped). */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
  const parse = (part: string) => (part ? part.split(':') : []);
  let left = parse(head);
  let right = tail === undefined ? [] : parse(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4 in another prefix) is two groups.
  const toGroups = (groups: string[]) =>
    groups.flatMap((group) => {
      if (!group.includes('.')) return [group];
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  left = toGroups(left);
  right = toGroups(right);
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16));
}
