import { fromBase64Lenient, fromUtf8, toBase64, utf8 } from "../bytes.ts";
import { fail, succeed, type Result } from "../result.ts";
import { isJsonObject } from "../json-object.ts";

/**
 * x402 version 2 over HTTP (x402 `specs/transports-v2/http.md`, the types of
 * `@x402/core`): JSON in headers, as standard base64 of its UTF-8 text.
 */
export const X402_VERSION = 2;
export const PAYMENT_REQUIRED_HEADER = "PAYMENT-REQUIRED";
export const PAYMENT_SIGNATURE_HEADER = "PAYMENT-SIGNATURE";
export const PAYMENT_RESPONSE_HEADER = "PAYMENT-RESPONSE";

export interface ResourceInfo {
  readonly url: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** One way to pay (an entry of `accepts`). */
export interface PaymentRequirements {
  readonly scheme: string;
  /** CAIP-2. */
  readonly network: string;
  readonly asset: string;
  /** In the asset's smallest unit, as decimal text. */
  readonly amount: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly extra: Readonly<Record<string, unknown>>;
}

/** `PAYMENT-REQUIRED`, on a 402. */
export interface PaymentRequired {
  readonly x402Version: number;
  readonly error?: string;
  readonly resource: ResourceInfo;
  readonly accepts: readonly PaymentRequirements[];
}

/** `PAYMENT-SIGNATURE`: the requirements the client chose (`accepted`, echoed as it got them) and its proof of payment. */
export interface PaymentPayload {
  readonly x402Version: number;
  readonly accepted: PaymentRequirements;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** `PAYMENT-RESPONSE`, on the paid answer. */
export interface SettleResponse {
  readonly success: boolean;
  /** The settlement's reference on its network (Lightning: the payment hash, hex). */
  readonly transaction: string;
  readonly network: string;
}

/** Aperture's bound for the Payment scheme's credential, kept here too: at most 64 KiB of JSON. */
const MAX_ENCODED_CHARS = Math.ceil((64 * 1024) / 3) * 4;

export const encodeHeaderJson = (value: PaymentRequired | PaymentPayload | SettleResponse): string => toBase64(utf8(JSON.stringify(value)));

/**
 * A `PAYMENT-SIGNATURE` value, its shape checked (what its fields mean is the
 * scheme's to judge). Base64 in either alphabet, padded or not, as
 * `@x402/core` and Alby's client write it. Several values are accepted when
 * they are the same payment (base64 has no comma), as the Payment scheme's.
 */
export function readPaymentPayload(header: string): Result<PaymentPayload, "malformed"> {
  const [first = "", ...others] = header.split(",").map((value) => value.trim());
  if (others.some((other) => other !== first)) return fail("malformed", `several ${PAYMENT_SIGNATURE_HEADER} values carry different payments; send one`);
  const json = readHeaderJson(PAYMENT_SIGNATURE_HEADER, first);
  if (!json.ok) return json;
  const value = json.value;
  if (!isJsonObject(value) || typeof value["x402Version"] !== "number" || !isJsonObject(value["payload"]) || !isRequirements(value["accepted"])) {
    return fail("malformed", `${PAYMENT_SIGNATURE_HEADER} needs x402Version, the accepted requirements and a payload object`);
  }
  return succeed({ x402Version: value["x402Version"], accepted: value["accepted"], payload: value["payload"] });
}

/**
 * A `PAYMENT-REQUIRED` value (a client reading a 402), its shape checked:
 * the version, and each entry of `accepts` with the fields every scheme has
 * (which entry to pay, and whether its fields agree, is the client's to judge).
 */
export function readPaymentRequired(header: string): Result<PaymentRequired, "malformed"> {
  const json = readHeaderJson(PAYMENT_REQUIRED_HEADER, header.trim());
  if (!json.ok) return json;
  const value = json.value;
  if (!isJsonObject(value) || typeof value["x402Version"] !== "number" || !Array.isArray(value["accepts"]) || !value["accepts"].every(isRequirements) || !isResource(value["resource"])) {
    return fail("malformed", `${PAYMENT_REQUIRED_HEADER} needs x402Version, the resource and its accepts entries`);
  }
  const error = typeof value["error"] === "string" ? { error: value["error"] } : {};
  return succeed({ x402Version: value["x402Version"], resource: value["resource"], accepts: value["accepts"], ...error });
}

/** A header's base64 of UTF-8 JSON, parsed (not yet checked). */
function readHeaderJson(name: string, text: string): Result<unknown, "malformed"> {
  if (text === "" || text.length > MAX_ENCODED_CHARS) return fail("malformed", `${name} must be base64 JSON of at most 64 KiB`);
  const bytes = fromBase64Lenient(text);
  const decoded = bytes === undefined ? undefined : fromUtf8(bytes);
  if (decoded === undefined) return fail("malformed", `${name} is not base64 of UTF-8 text`);
  try {
    return succeed(JSON.parse(decoded) as unknown);
  } catch {
    return fail("malformed", `${name} is not base64 JSON`);
  }
}

const isResource = (value: unknown): value is ResourceInfo => isJsonObject(value) && typeof value["url"] === "string";

function isRequirements(value: unknown): value is PaymentRequirements {
  if (!isJsonObject(value)) return false;
  const texts = ["scheme", "network", "asset", "amount", "payTo"].every((name) => typeof value[name] === "string");
  return texts && typeof value["maxTimeoutSeconds"] === "number" && isJsonObject(value["extra"]);
}
