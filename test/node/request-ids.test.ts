import { describe, expect, it } from "vitest";
import { requestIdFor } from "../../src/worker/request-ids.ts";

describe("request ids", () => {
  it("are Cloudflare's ray id when there is one", () => {
    expect(requestIdFor("8f1c2a3b4d5e6f70-FRA")).toBe("8f1c2a3b4d5e6f70-FRA");
  });

  it("without one, are this isolate's random prefix and a count: 10,000 in a row all distinct", () => {
    const ids = Array.from({ length: 10_000 }, () => requestIdFor(undefined));
    expect(new Set(ids).size).toBe(ids.length);
    const prefixes = new Set(ids.map((id) => id.split("-")[0]));
    expect(prefixes.size).toBe(1);
    expect([...prefixes][0]).toMatch(/^[0-9a-f]{16}$/);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
  });
});
