import { describe, expect, it } from "vitest";
import { wantsPage } from "../../src/paywall/wants-page.ts";

/** Whether a request is a browser's asking for a page (src/paywall/wants-page.ts). */
describe("wantsPage", () => {
  const asking = (headers: Record<string, string>) => wantsPage(new Headers(headers));
  const CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

  it("a browser's navigation is; a program's JSON, a request with a body, or no Accept is not", () => {
    expect(asking({ Accept: CHROME })).toBe(true);
    expect(asking({ Accept: "application/json" })).toBe(false);
    expect(asking({ Accept: "application/json, text/html;q=0.5" })).toBe(false);
    expect(asking({ Accept: CHROME, "Content-Type": "application/x-www-form-urlencoded" })).toBe(false);
    expect(asking({})).toBe(false);
  });

  it("an Accept longer than any browser's, or with a quoted parameter, is a program's: negotiator is never asked to read it", () => {
    // Both prefer HTML, and would be taken for a page if they were read.
    const long = `text/html,${Array.from({ length: 80 }, (_, i) => `application/x-type-${i};q=0.5`).join(",")}`;
    expect(long.length).toBeGreaterThan(1024);
    expect(asking({ Accept: long })).toBe(false);
    expect(asking({ Accept: long.slice(0, 1000).replace(/,[^,]*$/, "") })).toBe(true);
    expect(asking({ Accept: 'text/html;level="1",application/json;q=0.5' })).toBe(false);
    // What made it slow: thousands of quotes and commas (0.6 s a request when read).
    expect(asking({ Accept: '"'.repeat(8191) + ",".repeat(8193) })).toBe(false);
  });
});
