/**
 * Loopback, as a URL's `hostname` gives it (addresses normalised: `127.1` is
 * `127.0.0.1`, `[0::1]` is `[::1]`): `localhost` and the addresses 127.0.0.0/8
 * and ::1, whose traffic never leaves the machine. Not RFC 6761's other
 * `*.localhost` names: a resolver that does not keep them local (without
 * nss-myhostname or systemd-resolved) asks the network, which may answer.
 */
export function isThisMachine(hostname: string): boolean {
  const name = hostname.replace(/\.$/, "").toLowerCase();
  return name === "localhost" || /^127(?:\.\d{1,3}){3}$/.test(name) || name === "[::1]";
}

/** Plain `http://` to a host that is not this machine: whatever the request carries crosses the network in clear, and anyone on the path can change the answer. */
export const inClear = (url: URL): boolean => url.protocol === "http:" && !isThisMachine(url.hostname);
