import { describe, expect, it } from "vitest";
import { asReceived, decodedCodings } from "../../src/proxy/as-received.ts";

/** The origin's answer as Node's fetch hands it on, made what a client may be given (src/proxy/as-received.ts). */
describe("asReceived", () => {
  it("knows what each undici decodes: zstd from 7.11 (Node 24.4), never before", () => {
    const zstd = (version: string | undefined) => decodedCodings(version).has("zstd");
    expect([zstd("6.28.1"), zstd("7.10.0"), zstd("7.11.0"), zstd("8.0.0"), zstd(undefined)]).toEqual([false, false, true, true, false]);
    expect([...decodedCodings("6.28.1")]).toEqual(["gzip", "x-gzip", "deflate", "br"]);
  });

  it("takes off the origin's connection's fields and what its Connection names, but the body's own", () => {
    const answer = new Response("x", { headers: { Connection: "close, X-Hop, Content-Type", "Keep-Alive": "timeout=60", "X-Hop": "1", "Content-Type": "text/plain", "X-Kept": "yes" } });
    const given = asReceived(answer);
    if (!given.ok) throw new Error(given.detail);
    expect(Object.fromEntries(given.value.headers)).toEqual({ "content-type": "text/plain", "x-kept": "yes" });
  });

  it("leaves a coding no fetch decodes labelled as it came, alone or after one it does (none is decoded then)", () => {
    for (const coding of ["compress", "gzip, compress"]) {
      const answer = new Response("still compressed", { headers: { "Content-Encoding": coding, "Content-Length": "16" } });
      const given = asReceived(answer);
      expect(given.ok && given.value).toBe(answer);
    }
  });
});
