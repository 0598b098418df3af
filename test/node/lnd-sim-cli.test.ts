import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../dev/lnd-sim/main.ts", import.meta.url));

describe("npm run lnd-sim", () => {
  it("prints its URL and macaroons, serves them, and stops on SIGTERM", async () => {
    const admin = "0201036c6e6402";
    const child = spawn(process.execPath, [MAIN, "--port", "0", "--admin-macaroon", admin], { stdio: ["ignore", "pipe", "pipe"] });
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    const info = JSON.parse(line.toString()) as { url: string; adminMacaroon: string; invoiceMacaroon: string };
    expect(info.adminMacaroon).toBe(admin);
    expect(info.invoiceMacaroon).toMatch(/^02[0-9a-f]+$/);
    const getinfo = await fetch(`${info.url}/v1/getinfo`, { headers: { "Grpc-Metadata-macaroon": admin } });
    expect(getinfo.status).toBe(200);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(0);
  });

  it("a taken port and bad flags give one line and exit 2", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = String((blocker.address() as { port: number }).port);
    try {
      for (const [args, message] of [
        [["--port", port], /that port is taken/],
        [["--network", "moon"], /--network must be one of/],
        [["--failure", "meteor"], /failure must be one of/],
        [["--admin-macaroon", "xyz"], /--admin-macaroon must be hex/],
      ] as const) {
        const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
        expect(result.status).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
      }
    } finally {
      blocker.close();
    }
  });
});
