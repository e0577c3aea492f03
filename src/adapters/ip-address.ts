import { isIPv6 } from 'node:net';

/**
 * An address in one spelling: an IPv4-mapped IPv6 address (::ffff:203.0.113.9, ::ffff:cb00:7109,
 * 0:0:0:0:0:ffff:203.0.113.9) is the IPv4 address it carries; any other IPv6 address is written out in
 * full, lower-case, without leading zeros (so every spelling of one address is one rate-limit key).
 */
export function normalizeAddress(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return groups.map((group) => group.toString(16)).join(':');
}

/** The eight 16-bit groups of an IPv6 address (zero-compression and an embedded IPv4 tail expanded). */
export function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (tail !== null) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
}

/**
 * The unit an address is counted in: an IPv4 address itself, an IPv6 address's /64 (one subscriber's
 * network: whoever holds one can use 2^64 addresses).
 */
export function addressBucket(address: string): string {
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
