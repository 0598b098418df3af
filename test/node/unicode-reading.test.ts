import { describe, expect, it } from "vitest";
import { patternReading, unicodeReading } from "../../src/unicode-reading.ts";

/** A path's non-ASCII text as an origin comparing Unicode reads it (unicode-reading.ts). */
describe("unicodeReading", () => {
  it("composes what is decomposed, and ignoring case puts each letter in one case; escapes stay upper case", () => {
    // e + COMBINING ACUTE ACCENT is é.
    expect(unicodeReading("/cafe%CC%81/x", false)).toBe("/caf%C3%A9/x");
    expect(unicodeReading("/CAF%C3%89/x", true)).toBe("/CAF%C3%A9/x");
    // Both at once: E + combining acute is É, then é.
    expect(unicodeReading("/CAFE%CC%81", true)).toBe("/CAF%C3%A9");
    // Σ and final ς are both σ to a case-ignoring comparison.
    expect(unicodeReading("/%CE%A3", true)).toBe("/%CF%83");
    expect(unicodeReading("/%CF%82", true)).toBe("/%CF%83");
    // ᾼ and ᾳ are one letter to Java and Python (a simple mapping), though ᾳ's full uppercase is ΑΙ.
    expect(unicodeReading("/%E1%BE%BC", true)).toBe("/%E1%BE%B3");
  });

  it("is undefined for a path that reads as itself: ASCII, composed text matching case, ß (its uppercase is two letters)", () => {
    expect(unicodeReading("/api/x", true)).toBeUndefined();
    expect(unicodeReading("/a%20b/%3C", true)).toBeUndefined();
    expect(unicodeReading("/CAF%C3%89/x", false)).toBeUndefined();
    expect(unicodeReading("/caf%C3%A9/x", true)).toBeUndefined();
    expect(unicodeReading("/stra%C3%9Fe", true)).toBeUndefined();
  });

  it("leaves ASCII and its escapes as they are around the text it reads", () => {
    expect(unicodeReading("/A%20B/%C3%89%2B", true)).toBe("/A%20B/%C3%A9%2B");
  });
});

describe("patternReading", () => {
  it("writes a pattern's text as paths are read; ASCII, pattern syntax and escapes (URLPattern takes no non-ASCII in a group) as written", () => {
    expect(patternReading("/CAFÉ/*", true)).toBe("/CAFé/*");
    expect(patternReading("/CAFÉ/*", false)).toBe("/CAFÉ/*");
    expect(patternReading("/cafe\u0301/:id", false)).toBe("/café/:id");
    expect(patternReading("/x/:id(%C3%89+)", true)).toBe("/x/:id(%C3%89+)");
    expect(patternReading("/api/:id(\\d+)", true)).toBe("/api/:id(\\d+)");
  });
});
