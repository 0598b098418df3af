import { describe, expect, it } from "vitest";
import { backtrackingProblem } from "../../src/config/pattern-backtracking.ts";

/**
 * Which path patterns a crafted path could make slow to test
 * (src/config/pattern-backtracking.ts): refused at configuration, each with
 * a spelling that is not.
 */
describe("backtrackingProblem", () => {
  const accepted = [
    "/api/*",
    "/v1/chat/completions",
    "/items/:id(\\d+)",
    "/hex/:hash([0-9a-f]{64})",
    "/day/:date(\\d{4}-\\d{2}-\\d{2})",
    "/:org/api/*",
    "/*/api/*",
    "/api/*/premium",
    "/files/:file",
    "/files/:name.json",
    "/files/:name.*",
    "/a/:rest+/b",
    "/users/:id/posts/:post",
    "/x{/:id}?",
    "/v:version/*",
    "/literal\\*star/:id",
  ];
  it.each(accepted)("%s: one variable part a segment, one spanning segments (a final * aside)", (path) => {
    expect(backtrackingProblem(path)).toBeUndefined();
  });

  it.each([
    ["/files/:name.:ext", "two variable parts in one segment"],
    ["/convert/:from-:to", "two variable parts in one segment"],
    ["/files/*.:ext", "two variable parts in one segment"],
    ["/a/*/b/*/c", "two parts that may span segments"],
    ["/a/*/b/*/c/*/d", "two parts that may span segments"],
    ["/a/:p+/b/:q+/c", "two parts that may span segments"],
    ["/a/:p*/b/*/c", "two parts that may span segments"],
    ["/a/:any(.*)/b/*/c", "two parts that may span segments"],
    ["/a/:any([^x]+)/b/*/c", "two parts that may span segments"],
    ["/a{/x}+/b/*/c", "two parts that may span segments"],
    ["/x/:id((?:a+)+)", "a regular expression with a group inside"],
    ["/x/:id(a*b+)", "a regular expression repeating more than one part"],
    ["/x/:id(a{2,}b+)", "a regular expression repeating more than one part"],
    ["/x/:id(\\d+", "a regular expression that is never closed"],
  ])("%s: refused (%s)", (path, problem) => {
    expect(backtrackingProblem(path)).toContain(problem);
  });
});

