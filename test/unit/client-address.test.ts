import { clientAddress } from '../../src/adapters/http/client-address';
import { addressBucket } from '../../src/adapters/ip-address';

const socket = '198.51.100.200';
const oneHop = { trusted: true, hops: 1 };

describe('clientAddress', () => {
  test.each([
    ['no trusted proxy: the header is ignored', '203.0.113.9', { trusted: false, hops: 1 }, socket],
    ['one hop: the rightmost entry, which our proxy appended', '10.9.1.1, 203.0.113.9', oneHop, '203.0.113.9'],
    ['one hop, whitespace and one entry', ' 203.0.113.9 ', oneHop, '203.0.113.9'],
    [
      'two hops: the second from the right',
      'forged, 198.51.100.7, 10.0.0.1',
      { trusted: true, hops: 2 },
      '198.51.100.7',
    ],
    ['fewer entries than hops: the leftmost there is', '198.51.100.7', { trusted: true, hops: 2 }, '198.51.100.7'],
    ['not an IP address: the socket', '10.9.1.1, not-an-ip', oneHop, socket],
    ['an address with a port: the socket', '203.0.113.9:4711', oneHop, socket],
    ['3,000 characters: the socket', 'a'.repeat(3_000), oneHop, socket],
    ['an empty entry: the socket', '203.0.113.9, ', oneHop, socket],
    ['IPv6', '2001:db8::1', oneHop, '2001:db8:0:0:0:0:0:1'],
    ['IPv4-mapped IPv6 is the IPv4 address', '::ffff:203.0.113.9', oneHop, '203.0.113.9'],
    ['IPv4-mapped, in hex', '::ffff:a00:e', oneHop, '10.0.0.14'],
    ['IPv4-mapped, written out', '0:0:0:0:0:ffff:10.0.0.15', oneHop, '10.0.0.15'],
    ['IPv6 in any spelling is written out in full', '2001:0DB8::0001', oneHop, '2001:db8:0:0:0:0:0:1'],
  ])('%s', (_, header, trust, expected) => {
    expect(clientAddress(header, socket, trust)).toBe(expected);
  });

  test('the socket address is normalised too', () => {
    expect(clientAddress(undefined, '::ffff:127.0.0.1', oneHop)).toBe('127.0.0.1');
  });
});

describe('addressBucket: the unit a client address is counted in', () => {
  test.each([
    ['203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002::9', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s counts as %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });
});
