import { isIP } from 'node:net';

/** An IPv4 or IPv6 network written as `ADDRESS/PREFIX`, or one address. */
export interface Cidr {
  /** The text as configured. */
  text: string;
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/** Raised for text that is not a valid CIDR; the message names the problem and how to write the network. */
export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CidrError';
  }
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8` or a single address (`192.0.2.7`, which
 * means /32, or `2001:db8::7`, /128). Throws CidrError when the address or
 * the prefix length is invalid, or when the address has bits set beyond the
 * prefix, because `10.1.0.0/8` is more likely a typo for `10.1.0.0/16` than
 * a way to write `10.0.0.0/8`.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const detected = address.includes('%') ? 0 : isIP(address);
  if (detected !== 4 && detected !== 6) {
    throw new CidrError(`invalid IP address ${JSON.stringify(address)}; write a network as ADDRESS/PREFIX, such as 10.0.0.0/8 or fd00::/8, without a zone index`);
  }
  const version: 4 | 6 = detected;

  const maxPrefix = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(maxPrefix) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    throw new CidrError(`invalid prefix length ${JSON.stringify(prefixText)}; expected a whole number from 0 to ${maxPrefix} for an IPv${version} network`);
  }

  const prefix = Number(prefixText);
  const bytes = addressBytes(address, version);
  if (hasHostBits(bytes, prefix)) {
    const network = formatNetwork(maskBytes(bytes, prefix), version);
    throw new CidrError(`the address has bits set beyond the /${prefix} prefix; write the network address (${network}/${prefix}) or a longer prefix`);
  }
  return { text, family: version === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

/**
 * An IP address as four 32-bit words of its IPv6 form. An IPv4 address
 * takes its IPv4-mapped form `::ffff:a.b.c.d`, so one comparison serves
 * both families.
 */
export type AddressWords = readonly [number, number, number, number];

/**
 * Parses a peer address such as a socket's remoteAddress; a zone index
 * (`fe80::1%eth0`) is ignored. Returns undefined for text that is not an IP
 * address, such as `unknown`.
 */
export function parseAddress(text: string): AddressWords | undefined {
  const percent = text.indexOf('%');
  const address = percent < 0 ? text : text.slice(0, percent);
  const version = isIP(address);
  if (version !== 4 && version !== 6) return undefined;
  return wordsOf(addressBytes(address, version), version);
}

/**
 * Matches peer addresses against a list of networks. IPv4 networks are
 * compared in their IPv4-mapped form, so an IPv4 peer that a socket
 * listening on `::` reports as `::ffff:10.1.2.3` matches `10.0.0.0/8`, and
 * an IPv6 network that covers `::ffff:0:0/96` (such as `::/0`) matches IPv4
 * peers too.
 *
 * Plain integer comparisons rather than node:net's BlockList, whose check
 * parses the address on every call and took about 1.5 µs per call in
 * bench/tagging.ts.
 */
export class CidrSet {
  private readonly compiled: Array<{ network: AddressWords; mask: AddressWords }>;

  constructor(readonly networks: readonly Cidr[]) {
    this.compiled = networks.map((cidr) => {
      const version = cidr.family === 'ipv4' ? 4 : 6;
      const prefix = version === 4 ? cidr.prefix + 96 : cidr.prefix;
      const mask = maskWords(prefix);
      const words = wordsOf(addressBytes(cidr.address, version), version);
      return { network: words.map((word, i) => (word & mask[i]!) >>> 0) as unknown as AddressWords, mask };
    });
  }

  /** Returns whether the address, from parseAddress, is in any of the networks; false for undefined. */
  contains(address: AddressWords | undefined): boolean {
    if (!address) return false;
    for (const { network, mask } of this.compiled) {
      if (
        ((address[0] & mask[0]) >>> 0) === network[0] &&
        ((address[1] & mask[1]) >>> 0) === network[1] &&
        ((address[2] & mask[2]) >>> 0) === network[2] &&
        ((address[3] & mask[3]) >>> 0) === network[3]
      ) {
        return true;
      }
    }
    return false;
  }
}

function wordsOf(bytes: readonly number[], version: 4 | 6): AddressWords {
  const full = version === 4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes] : bytes;
  const words = [0, 0, 0, 0].map((_, i) => ((full[i * 4]! << 24) | (full[i * 4 + 1]! << 16) | (full[i * 4 + 2]! << 8) | full[i * 4 + 3]!) >>> 0);
  return words as unknown as AddressWords;
}

function maskWords(prefix: number): AddressWords {
  const words = [0, 1, 2, 3].map((i) => {
    const bits = Math.min(Math.max(prefix - i * 32, 0), 32);
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  });
  return words as unknown as AddressWords;
}

/**
 * Returns the 4 or 16 bytes of an address that isIP has accepted as `version`,
 * without a zone index. An IPv6 address may end in dotted IPv4.
 */
export function addressBytes(address: string, version: 4 | 6): number[] {
  if (version === 4) return address.split('.').map(Number);

  // An IPv6 address may end in dotted IPv4 (::ffff:10.1.2.3): turn it into two groups.
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }

  const [head, tail] = text.split('::') as [string, string | undefined];
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const headGroups = groupsOf(head);
  const tailGroups = groupsOf(tail);
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function hasHostBits(bytes: readonly number[], prefix: number): boolean {
  return maskBytes(bytes, prefix).some((byte, i) => byte !== bytes[i]);
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, i) => {
    const bits = Math.min(Math.max(prefix - i * 8, 0), 8);
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
}

function formatNetwork(bytes: readonly number[], version: 4 | 6): string {
  if (version === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Shorten the longest run of zero groups to `::`, as RFC 5952 recommends.
  const text = groups.join(':');
  const runs = text.match(/(^|:)0(:0)+(:|$)/g) ?? [];
  const longest = runs.reduce((best, run) => (run.length > best.length ? run : best), '');
  return longest ? text.replace(longest, '::') : text;
}
