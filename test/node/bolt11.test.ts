import { describe, expect, it } from "vitest";
import { MAX_INVOICE_CHARS } from "../../src/l402/index.ts";
import { readInvoice } from "../../src/lightning/bolt11.ts";
import spec from "../fixtures/bolt11-spec-examples.json" with { type: "json" };

/** Reading a BOLT 11 invoice's fields (src/lightning/bolt11.ts), on BOLT 11's own examples. */
describe("readInvoice", () => {
  it("reads the spec's first example: its payment hash and timestamp", () => {
    const read = readInvoice(spec.examples[0]?.invoice ?? "");
    expect(read.ok && [read.value.paymentHash, read.value.timestamp]).toEqual([spec.paymentHashHex, spec.timestamp]);
  });

  it("reads every example the spec calls valid but one, with the spec's payment hash and timestamp and a description in UTF-8", () => {
    const valid = spec.examples.filter((example) => example.validPerSpec);
    const read = valid.map((example) => ({ title: example.title, read: readInvoice(example.invoice) }));
    // Fields of a known type but the wrong length, which BOLT 11 says to skip: light-bolt11-decoder refuses the invoice.
    expect(read.filter(({ read }) => !read.ok).map(({ title }) => title)).toEqual(["Same, but including fields which must be ignored."]);
    // The one real invoice among them (Blockstream's) has its own hash and time.
    const ours = read.flatMap(({ title, read }) => (read.ok && !title.startsWith("Please send 0.00967878534 BTC") ? [read.value] : []));
    expect(ours).toHaveLength(valid.length - 2);
    for (const fields of ours) expect([fields.paymentHash, fields.timestamp]).toEqual([spec.paymentHashHex, spec.timestamp]);
    expect(ours.map((fields) => fields.description)).toContain("ナンセンス 1杯");
  });

  it("refuses, unread, an invoice longer than LND takes (the decoder's time grows with the square of its fields)", () => {
    const [example] = spec.examples;
    const long = `${example?.invoice ?? ""}${"q".repeat(MAX_INVOICE_CHARS)}`;
    expect(readInvoice(long)).toEqual({ ok: false, reason: "bad_invoice", detail: `the invoice is longer than the ${MAX_INVOICE_CHARS} characters LND takes at most` });
    // Within the bound, an invoice that does not decode says why.
    expect(readInvoice(long.slice(0, MAX_INVOICE_CHARS))).toMatchObject({ ok: false, reason: "bad_invoice", detail: expect.stringMatching(/^the invoice does not decode/) });
  });
});
