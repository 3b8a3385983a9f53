import t from 'tap';
import { CidrError, CidrSet, parseAddress, parseCidr } from './cidr.js';

t.test('parseCidr reads IPv4 and IPv6 networks', async (t) => {
  t.match(parseCidr('10.0.0.0/8'), { family: 'ipv4', address: '10.0.0.0', prefix: 8 });
  t.match(parseCidr('192.0.2.7'), { family: 'ipv4', prefix: 32 }, 'one address is a /32');
  t.match(parseCidr('0.0.0.0/0'), { family: 'ipv4', prefix: 0 });
  t.match(parseCidr('fd00::/8'), { family: 'ipv6', address: 'fd00::', prefix: 8 });
  t.match(parseCidr('2001:db8::7'), { family: 'ipv6', prefix: 128 }, 'one address is a /128');
  t.match(parseCidr('::ffff:10.0.0.0/104'), { family: 'ipv6', prefix: 104 });
});

t.test('parseCidr rejects invalid text', async (t) => {
  const cases: Array<[string, string]> = [
    ['10.0.0/8', 'invalid IP address "10.0.0"; write a network as ADDRESS/PREFIX, such as 10.0.0.0/8 or fd00::/8, without a zone index'],
    ['fe80::1%eth0/64', 'invalid IP address "fe80::1%eth0"; write a network as ADDRESS/PREFIX, such as 10.0.0.0/8 or fd00::/8, without a zone index'],
    ['10.0.0.0/33', 'invalid prefix length "33"; expected a whole number from 0 to 32 for an IPv4 network'],
    ['fd00::/129', 'invalid prefix length "129"; expected a whole number from 0 to 128 for an IPv6 network'],
    ['10.0.0.0/', 'invalid prefix length ""; expected a whole number from 0 to 32 for an IPv4 network'],
    ['10.0.0.0/8/8', 'invalid prefix length "8/8"; expected a whole number from 0 to 32 for an IPv4 network'],
    ['10.1.0.0/8', 'the address has bits set beyond the /8 prefix; write the network address (10.0.0.0/8) or a longer prefix'],
    ['fd00::1/8', 'the address has bits set beyond the /8 prefix; write the network address (fd00::/8) or a longer prefix'],
    ['2001:db8:0:0:1::/32', 'the address has bits set beyond the /32 prefix; write the network address (2001:db8::/32) or a longer prefix'],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseCidr(text), new CidrError(message), text);
  }
});

t.test('CidrSet matches peer addresses', async (t) => {
  const set = new CidrSet([parseCidr('10.20.0.0/16'), parseCidr('fd00:20::/32')]);
  const contains = (address: string): boolean => set.contains(parseAddress(address));

  t.equal(contains('10.20.3.4'), true);
  t.equal(contains('10.20.255.255'), true, 'the last address of the network');
  t.equal(contains('10.21.0.0'), false, 'the first address after it');
  t.equal(contains('10.19.255.255'), false, 'the last address before it');
  t.equal(contains('::ffff:10.20.3.4'), true, 'an IPv4-mapped IPv6 address matches the IPv4 network');
  t.equal(contains('fd00:20::9'), true);
  t.equal(contains('fd00:20:ffff:ffff:ffff:ffff:ffff:ffff'), true);
  t.equal(contains('fd00:21::9'), false);
  t.equal(contains('unknown'), false, 'a request without a socket matches no network');
});

t.test('CidrSet edge prefixes', async (t) => {
  const contains = (cidr: string, address: string): boolean => new CidrSet([parseCidr(cidr)]).contains(parseAddress(address));

  t.equal(contains('0.0.0.0/0', '203.0.113.9'), true, 'IPv4 /0 matches every IPv4 peer');
  t.equal(contains('0.0.0.0/0', '2001:db8::1'), false, 'but no IPv6 peer');
  t.equal(contains('::/0', '2001:db8::1'), true);
  t.equal(contains('::/0', '203.0.113.9'), true, 'IPv6 /0 covers the IPv4-mapped range');
  t.equal(contains('192.0.2.7', '192.0.2.7'), true, 'a single IPv4 address');
  t.equal(contains('192.0.2.7', '192.0.2.6'), false);
  t.equal(contains('192.0.2.6/31', '192.0.2.7'), true);
  t.equal(contains('2001:db8::/127', '2001:db8::1'), true);
  t.equal(contains('2001:db8::/127', '2001:db8::2'), false);
  t.equal(contains('fe80::/10', 'fe80::1%eth0'), true, 'a zone index of the peer is ignored');
  t.equal(contains('::ffff:10.0.0.0/104', '10.9.9.9'), true, 'an IPv4-mapped network matches IPv4 peers');
  t.equal(contains('128.0.0.0/1', '200.1.1.1'), true, 'addresses with the top bit set');
});
