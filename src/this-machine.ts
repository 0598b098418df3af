/** Loopback names and addresses (RFC 6761's `localhost`, 127.0.0.0/8, ::1), as a URL's `hostname` gives them: traffic to them never leaves the machine. */
export function isThisMachine(hostname: string): boolean {
  const name = hostname.replace(/\.$/, "").toLowerCase();
  return name === "localhost" || name.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(name) || name === "[::1]";
}

/** Plain `http://` to a host that is not this machine: whatever the request carries crosses the network in clear, and anyone on the path can change the answer. */
export const inClear = (url: URL): boolean => url.protocol === "http:" && !isThisMachine(url.hostname);
