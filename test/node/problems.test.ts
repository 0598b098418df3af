import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { problemsOf } from "../../src/config/problems.ts";

/** Settings' problems (config/problems.ts): by field, never quoting a value. */
describe("problemsOf", () => {
  const SECRET = "sk-live-0123456789abcdef";
  it.each([
    ["an object expected", v.object({ d: v.string() }), [SECRET]],
    ["a check without a message", v.pipe(v.string(), v.check(() => false)), SECRET],
    ["a literal without a message", v.literal("on"), SECRET],
    ["a list of objects", v.array(v.looseObject({ kid: v.string() })), [SECRET]],
  ])("valibot's own message (%s) is cut before the value it received", (_, schema, value) => {
    const parsed = v.safeParse(schema as v.GenericSchema, value);
    expect(parsed.success).toBe(false);
    const problems = parsed.success ? [] : problemsOf(parsed.issues, "L402_SETTING");
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem).toMatch(/^L402_SETTING[^:]*: Invalid /);
      expect(problem).not.toContain(SECRET.slice(3, 12));
    }
  });

  it("a schema's own message is kept whole", () => {
    const parsed = v.safeParse(v.pipe(v.string(), v.check(() => false, "must be a key the node issued")), SECRET);
    expect(parsed.success ? [] : problemsOf(parsed.issues, "L402_KEY")).toEqual(["L402_KEY: must be a key the node issued"]);
  });
});
