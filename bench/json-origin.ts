import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** An origin on loopback answering every request `{"ok":true}`: what the paid passes the benchmarks time reach. */
export async function startJsonOrigin(): Promise<{ readonly url: string; close(): void }> {
  const origin = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`, close: () => origin.close() };
}
