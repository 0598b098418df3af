import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("runs inside workerd", async () => {
  expect(navigator.userAgent).toBe("Cloudflare-Workers");
  const response = await SELF.fetch("https://example.com/.well-known/l402/health");
  expect(response.status).toBe(200);
});
