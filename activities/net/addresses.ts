// Which network an address belongs to, and which non-public ones configuration allows vsr to fetch from.
// vsr fetches what users name (source URLs) and what the provider hands back (result URLs): only public
// addresses unless allowed, so a URL cannot turn the worker against services only it can reach.
import net from 'node:net';

export type AddressKind =
  'public' | 'loopback' | 'private' | 'link-local' | 'carrier-grade NAT' | 'multicast' | 'unspecified' | 'IPv4-mapped' | 'reserved';

const RANGES: Array<[AddressKind, string, number, 'ipv4' | 'ipv6']> = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['carrier-grade NAT', '100.64.0.0', 10, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'], // the cloud metadata service lives at 169.254.169.254
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'], // and the broadcast address
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['IPv4-mapped', '::ffff:0:0', 96, 'ipv6'],
  ['reserved', '::', 96, 'ipv6'], // IPv4-compatible (deprecated)
  ['reserved', '100::', 64, 'ipv6'], // discard
  ['reserved', '2001:db8::', 32, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];
const LISTS = RANGES.map(([kind, network, prefix, type]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, type);
  return { kind, list, type };
});

/** The kind of an IP address text (brackets allowed); anything that is not an address is 'reserved'. NAT64 by its IPv4 part. */
export function classifyAddress(address: string): AddressKind {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const family = net.isIP(ip);
  if (family === 0) return 'reserved';
  const nat64 = /^64:ff9b::(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (nat64) return classifyAddress(nat64[1]);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { kind, list, type: t } of LISTS) if (t === type && list.check(ip, type)) return kind;
  return 'public';
}

/**
 * One allowance: a network (an address is a /32 or /128), or a host name (trusted for whatever it resolves to:
 * e.g. a configured stand-in's endpoint), each optionally for one port; or everything.
 */
export type AllowRule =
  { any: true } | { network: string; prefix: number; type: 'ipv4' | 'ipv6'; port?: number } | { host: string; port?: number };

export class AllowListError extends Error {}

/**
 * Parses an allow-list such as `127.0.0.0/8, [::1]:8241, localhost:9000, 10.2.0.0/16, minio.lan:9000` (or `*` for
 * every address). `localhost` stands for 127.0.0.1 and ::1.
 */
export function parseAllowList(text: string, name = 'VSR_ALLOW_PRIVATE_URLS'): AllowRule[] {
  const rules: AllowRule[] = [];
  for (const raw of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    if (raw === '*') {
      rules.push({ any: true });
      continue;
    }
    const m = /^(?:\[([0-9a-f:.]+)\]|([^:/\s]+|[0-9a-f:]+))(?:\/(\d{1,3}))?(?::(\d{1,5}))?$/i.exec(raw);
    const host = m?.[1] ?? m?.[2];
    const port = m?.[4] === undefined ? undefined : Number(m[4]);
    const hosts = host?.toLowerCase() === 'localhost' ? ['127.0.0.1', '::1'] : host ? [host] : [];
    if (hosts.length === 0 || (port !== undefined && (port < 1 || port > 65535)))
      throw new AllowListError(
        `${name}: ${JSON.stringify(raw)} is not an address, network or host name with an optional :port (e.g. 10.0.0.0/8, [::1]:8241, *)`,
      );
    if (net.isIP(hosts[0]) === 0) {
      if (m?.[3] !== undefined || !/^[a-z0-9.-]+$/i.test(hosts[0]))
        throw new AllowListError(`${name}: ${JSON.stringify(raw)} is not an address, network or host name`);
      rules.push({ host: hosts[0].toLowerCase(), port });
      continue;
    }
    for (const h of hosts) {
      const type = net.isIP(h) === 4 ? 'ipv4' : 'ipv6';
      const prefix = m?.[3] === undefined ? (type === 'ipv4' ? 32 : 128) : Number(m[3]);
      if (prefix > (type === 'ipv4' ? 32 : 128))
        throw new AllowListError(`${name}: ${JSON.stringify(raw)} has a prefix longer than the address`);
      rules.push({ network: h, prefix, type, port });
    }
  }
  return rules;
}

/** Whether a rule list allows connecting to `address:port` for a URL naming `host`. */
export function allowed(rules: readonly AllowRule[], host: string, address: string, port: number): boolean {
  const ip = address.replace(/^\[|\]$/g, '');
  const type = net.isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  return rules.some((r) => {
    if ('any' in r) return true;
    if (r.port !== undefined && r.port !== port) return false;
    if ('host' in r) return r.host === host.toLowerCase();
    if (r.type !== type) return false;
    const list = new net.BlockList();
    list.addSubnet(r.network, r.prefix, r.type);
    return list.check(ip, type);
  });
}
