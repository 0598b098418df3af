import { lookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { BlockList, isIP } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";

/**
 * Networks an agent's wallet reaches only when told (`--allow-private-network`):
 * this machine, private and shared address space, link-local (a cloud's
 * metadata service at 169.254.169.254), and what is not unicast. A URL there,
 * chosen by a model a web page may have talked into it, would hand the agent
 * what the user's machine alone can read.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) PRIVATE.addSubnet(network, prefix, "ipv4");
// ::/96 holds :: and ::1 and the deprecated IPv4-compatible addresses; 6to4, Teredo and local-use NAT64 carry an IPv4 address a translator may reach.
for (const [network, prefix] of [
  ["::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2002::", 16],
  ["2001::", 32],
  ["64:ff9b:1::", 48],
] as const) PRIVATE.addSubnet(network, prefix, "ipv6");

/** An IPv6 address that carries an IPv4 one (`::ffff:127.0.0.1`, NAT64's `64:ff9b::a9fe:a9fe`): the IPv4 address it reaches. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted !== null) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex === null) return undefined;
  const [high, low] = [Number.parseInt(hex[1] ?? "", 16), Number.parseInt(hex[2] ?? "", 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Whether an IP address is one the wallet does not reach unless told. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, "ipv4");
  if (family !== 6) return true;
  const v4 = embeddedIpv4(address);
  return v4 === undefined ? PRIVATE.check(address, "ipv6") : PRIVATE.check(v4, "ipv4");
}

const refusal = (host: string, address: string) =>
  Object.assign(new Error(`${host} is at ${address}, on this machine or a private network: the wallet fetches only public addresses (--allow-private-network)`), { code: "EPRIVATE" });

/** dns.lookup, failing for a name any of whose addresses is private: checked where the socket connects, so a name that changes its answer between two lookups gains nothing. */
function publicLookup(hostname: string, options: LookupAllOptions, callback: (error: Error | null, addresses: LookupAddress[] | string, family?: number) => void): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, []);
    const inside = addresses.find(({ address }) => isPrivateAddress(address));
    if (inside !== undefined) return callback(refusal(hostname, inside.address), []);
    const [first] = addresses;
    if (options.all === true || first === undefined) return callback(null, addresses);
    callback(null, first.address, first.family);
  });
}

const connect = buildConnector({ lookup: publicLookup as never });
/** Every connection, redirects' included, goes through the check: a name by its lookup, an address written in the URL as it is. */
const publicOnly = new Agent({
  connect(options, callback) {
    const host = options.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0 && isPrivateAddress(host)) return callback(refusal(host, host), null);
    connect(options, callback);
  },
});

/** A fetch that reaches public addresses only (see PRIVATE). */
export const publicFetch = ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: publicOnly })) as unknown as typeof fetch;
