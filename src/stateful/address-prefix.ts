/**
 * The network a client address belongs to, as the reference counts freebies:
 * /24 for IPv4, /48 for IPv6 (one customer's allocation), so rotating through
 * the addresses of one network does not multiply the free allowance.
 */
export function addressPrefix(address: string | null): string {
  if (address === null) return "unknown";
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(address);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  const groups = expandIpv6(address);
  return groups === undefined ? "unknown" : `${groups.slice(0, 3).join(":")}::/48`;
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
