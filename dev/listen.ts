import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Listening {
  /** `host:port` as a URL names it (IPv6 in brackets). */
  readonly host: string;
  /** Stops listening and ends open connections (keep-alive ones included), so a close never waits on a client. */
  close(): Promise<void>;
}

/** Starts `server` on host:port (0: a free port), rejecting if it cannot (a taken port). */
export async function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
