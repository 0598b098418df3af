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
    "/api{/:segment}*",
    "/a{/:b/:c}?/d/*/e",
    "/x/(\\d+)+",
    "/tag/:t([a-z0-9_-]+)",
    "/:a{/:b}?",
    "/:a?/:b?/:c?/:d?/end",
    "/x/:n(\\d+?)",
    "/x/:n(\\d{2,5}?)",
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
    ["/x/:id(a*b+)", "a regular expression varying its length in more than one place"],
    ["/x/:id(a{2,}b+)", "a regular expression varying its length in more than one place"],
    ["/x/:a([a-z]{0,9000}[a-z]{0,9000})", "a regular expression varying its length in more than one place"],
    ["/x/:a(\\d+\\w{0,16000})", "a regular expression varying its length in more than one place"],
    ["/x/:a(x?x?x?xxx)", "a regular expression varying its length in more than one place"],
    ["/x/:a(\\+?\\+?\\+?)", "a regular expression varying its length in more than one place"],
    // An optional separator may be absent, and the parts either side of it then share a segment.
    ["/:a{/}?:b", "two variable parts in one segment"],
    ["/v1/:a{/}?:b/*", "two variable parts in one segment"],
    ["/:a{/:b}?:c", "two variable parts in one segment"],
    // Each optional part may double what a test tries: twenty took 2.3 s on a crafted path.
    [`${Array.from({ length: 5 }, (_, i) => `/:p${i}?`).join("")}/end`, "holds 5 optional parts"],
    // Erring on the side of refusing: two repetitions a literal keeps apart are linear, but refused all the same.
    ["/api/:version(\\d+\\.\\d+)/*", "a regular expression varying its length in more than one place"],
    ["/x/:id(\\d+", "a regular expression that is never closed"],
    // A repetition of a part with no separator of its own, or of one that can match it: nested repetitions, exponential.
    ["/x-:a+", "repeats a part not fenced off"],
    ["/x-(\\d+)+", "repeats a part not fenced off"],
    ["/x/*+/y", "repeats a part not fenced off"],
    ["/x/:a(.*)+/y", "repeats a part not fenced off"],
    ["/x{-:a}+", "repeats a part not fenced off"],
    // A regular expression that can match `/`, however it says so, spans segments.
    ["/a/:p([a-z/]+)/b/*/c", "two parts that may span segments"],
    ["/a/:p([!-~]+)/b/*/c", "two parts that may span segments"],
    ["/a/:p(\\x2f+)/b/*/c", "two parts that may span segments"],
    ["/a/:p(\\p{ASCII}+)/b/*/c", "two parts that may span segments"],
    ["/a/:p(.+)/b/*/c", "two parts that may span segments"],
  ])("%s: refused (%s)", (path, problem) => {
    expect(backtrackingProblem(path)).toContain(problem);
  });

  it("a host is read with `.` as its separator, and no part in it is fenced off on its own", () => {
    expect(backtrackingProblem("*.example.com", ".")).toBeUndefined();
    expect(backtrackingProblem(":tenant.example.com", ".")).toBeUndefined();
    expect(backtrackingProblem(":sub+.example.com", ".")).toContain("repeats a part not fenced off");
    expect(backtrackingProblem("x.:sub+.example.com", ".")).toContain("repeats a part not fenced off");
    expect(backtrackingProblem(":a-:b.example.com", ".")).toContain("two variable parts in one label");
    expect(backtrackingProblem(":a([a-z.]+).*.example.com", ".")).toContain("two parts that may span labels");
  });
});
