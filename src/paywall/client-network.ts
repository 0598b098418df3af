/**
 * The network a client address belongs to. One customer holds a whole IPv6 /64
 * (usually a /48 or /56), so counting per address would let one client rotate
 * through 2^64 of them:
 * - free allowances count per /24 (IPv4) and /48 (IPv6), as the reference does;
 * - the mint rate limit and the challenge cache key per address (IPv4) and /64 (IPv6),
 *   and a second mint limit counts per /24 and /48 (a /48 is 65,536 /64s).
 * The address comes from the middleware's `clientAddress` option: by default
 * `CF-Connecting-IP`, which Cloudflare sets and clients cannot.
 */
export type PrefixBits = { readonly ipv4: 24 | 32; readonly ipv6: 48 | 64 };

/** The network one customer may hold: free allowances and the network mint limit count per this. */
export const CUSTOMER_NETWORK: PrefixBits = { ipv4: 24, ipv6: 48 };
export const CLIENT_NETWORK: PrefixBits = { ipv4: 32, ipv6: 64 };

export function addressPrefix(address: string | null, bits: PrefixBits): string {
  if (address === null) return "unknown";
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(address);
  if (v4) return bits.ipv4 === 24 ? `${v4[1]}.${v4[2]}.${v4[3]}.0/24` : `${v4[1]}.${v4[2]}.${v4[3]}.${v4[4]}/32`;
  const groups = expandIpv6(address);
  return groups === undefined ? "unknown" : `${groups.slice(0, bits.ipv6 / 16).join(":")}::/${bits.ipv6}`;
}

function expandIpv6(address: string): string[] | undefined {
  if (!/^[0-9a-f:]+$/i.test(address) || address.split("::").length > 2) return undefined;
  const [head, tail] = address.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...left, ...Array<string>(missing).fill("0"), ...right];
  return groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")) : undefined;
}
