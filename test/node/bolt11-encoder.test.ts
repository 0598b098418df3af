import { bech32 } from "@scure/base";
import bolt11 from "bolt11";
import { decode as lightDecode } from "light-bolt11-decoder";
import { describe, expect, it } from "vitest";
import { encodeAmount, encodeInvoice, fields, TAG, type Network, type TaggedField } from "../../dev/lnd-sim/bolt11.ts";
import { fromHex, toHex } from "../../src/l402/index.ts";
import spec from "../fixtures/bolt11-spec-examples.json";

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const privateKey = fromHex(spec.signingPrivateKeyHex) as Uint8Array;
const text = new TextDecoder();

/** Test-only reader: splits an invoice into hrp, timestamp and raw tagged fields. */
function split(invoice: string) {
  const { prefix, words } = bech32.decode(invoice.toLowerCase() as `${string}1${string}`, false);
  const data = words.slice(0, -104);
  const timestamp = data.slice(0, 7).reduce((t, w) => t * 32 + w, 0);
  const raw: TaggedField[] = [];
  for (let i = 7; i < data.length; ) {
    const type = data[i] as number;
    const length = (data[i + 1] as number) * 32 + (data[i + 2] as number);
    raw.push({ type, words: data.slice(i + 3, i + 3 + length) });
    i += 3 + length;
  }
  const match = /^ln(bcrt|bc|tbs|tb)(\d+[munp]?)?$/.exec(prefix);
  return { network: match?.[1] as Network, amount: match?.[2], timestamp, raw, signature: words.slice(-104) };
}

const toInt = (words: readonly number[]) => words.reduce((n, w) => n * 32 + w, 0);
const toBytes = (words: readonly number[]) => bech32.fromWordsUnsafe(words as number[]) ?? new Uint8Array();

/** Rebuilds a field from its meaning with the encoder's helpers; fields it has no helper for pass as they are. */
function rebuild(raw: TaggedField): TaggedField {
  switch (raw.type) {
    case TAG.p:
      return raw.words.length === 52 ? fields.paymentHash(toBytes(raw.words)) : raw;
    case TAG.s:
      return raw.words.length === 52 ? fields.paymentSecret(toBytes(raw.words)) : raw;
    case TAG.h:
      return raw.words.length === 52 ? fields.descriptionHash(toBytes(raw.words)) : raw;
    case TAG.d:
      return fields.description(text.decode(toBytes(raw.words)));
    case TAG.x:
      return fields.expiry(toInt(raw.words));
    case TAG.c:
      return fields.minFinalCltvExpiry(toInt(raw.words));
    default:
      return raw;
  }
}

const amountMsat = (amount: string | undefined): bigint | undefined => {
  if (amount === undefined) return undefined;
  const [, digits, unit] = /^(\d+)([munp]?)$/.exec(amount) as RegExpExecArray;
  const picoPerUnit = { "": 10n ** 12n, m: 10n ** 9n, u: 10n ** 6n, n: 10n ** 3n, p: 1n }[unit as "" | "m" | "u" | "n" | "p"];
  return (BigInt(digits as string) * picoPerUnit) / 10n;
};

describe("BOLT 11 encoder against the spec's examples", () => {
  const valid = spec.examples.filter((example) => example.validPerSpec);
  expect(valid.length).toBe(16);

  for (const example of valid) {
    it(example.title.slice(0, 100), () => {
      const parts = split(example.invoice);
      const rebuilt = parts.raw.map(rebuild);
      expect(rebuilt).toEqual(parts.raw);
      const amount = amountMsat(parts.amount);
      const encoded = encodeInvoice({
        network: parts.network,
        ...(amount === undefined ? {} : { amountMsat: amount }),
        timestamp: parts.timestamp,
        fields: rebuilt,
        privateKey,
      });
      if (example.title.includes("high-S")) {
        // RFC 6979 signers emit low S; the spec's example carries the high-S twin of the same r.
        const [ours, theirs] = [split(encoded).signature, parts.signature].map((words) => toBytes(words));
        const scalar = (bytes: Uint8Array | undefined) => BigInt(`0x${toHex((bytes as Uint8Array).subarray(32, 64))}`);
        expect(encoded.slice(0, -110)).toBe(example.invoice.slice(0, -110));
        expect(ours?.subarray(0, 32)).toEqual(theirs?.subarray(0, 32));
        expect((scalar(ours) + scalar(theirs)) % SECP256K1_ORDER).toBe(0n);
        expect(scalar(ours) <= SECP256K1_ORDER / 2n).toBe(true);
        return;
      }
      expect(encoded).toBe(example.invoice.toLowerCase());
    });
  }

  it("writes amounts with the largest exact unit", () => {
    expect(encodeAmount(250_000_000n)).toBe("2500u");
    expect(encodeAmount(2_000_000_000n)).toBe("20m");
    expect(encodeAmount(967_878_534n)).toBe("9678785340p");
    expect(encodeAmount(100_000n)).toBe("1u");
    expect(encodeAmount(10_000n)).toBe("100n");
    expect(encodeAmount(1n)).toBe("10p");
    expect(encodeAmount(100_000_000_000n)).toBe("1");
  });

  it("writes feature bits as the spec does", () => {
    expect(fields.features([8, 14])).toEqual({ type: TAG.features, words: [16, 8, 0] });
  });
});

describe("the simulator's own invoices", () => {
  const paymentHash = fromHex("ab".repeat(32)) as Uint8Array;
  const invoice = encodeInvoice({
    network: "bcrt",
    amountMsat: 21_000n,
    timestamp: 1_800_000_000,
    fields: [
      fields.paymentHash(paymentHash),
      fields.description("api access"),
      fields.expiry(600),
      fields.minFinalCltvExpiry(80),
      fields.paymentSecret(new Uint8Array(32).fill(2)),
      fields.features([8, 14, 17]),
    ],
    privateKey,
  });

  it("decode with light-bolt11-decoder", () => {
    const sections = lightDecode(invoice).sections as { name: string; value?: unknown }[];
    const value = (name: string) => sections.find((s) => s.name === name)?.value;
    expect(invoice.startsWith("lnbcrt210n1")).toBe(true);
    expect(value("amount")).toBe("21000");
    expect(value("payment_hash")).toBe(toHex(paymentHash));
    expect(value("description")).toBe("api access");
    expect(value("expiry")).toBe(600);
    expect(value("timestamp")).toBe(1_800_000_000);
  });

  it("pass signature verification and payee recovery in the bolt11 package", () => {
    const decoded = bolt11.decode(invoice, { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] });
    expect(decoded.complete).toBe(true);
    expect(decoded.payeeNodeKey).toBe(spec.payeeNodeKeyHex);
    expect(decoded.millisatoshis).toBe("21000");
    const tampered = invoice.slice(0, 20) + (invoice[20] === "q" ? "p" : "q") + invoice.slice(21);
    expect(() => bolt11.decode(tampered, { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] })).toThrow();
  });
});
