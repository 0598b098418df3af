import { fromBase64Lenient, fromUtf8, toBase64, utf8 } from "../bytes.ts";
import { fail, succeed, type Result } from "../result.ts";

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
  if (first === "" || first.length > MAX_ENCODED_CHARS) return fail("malformed", `${PAYMENT_SIGNATURE_HEADER} must be base64 JSON of at most 64 KiB`);
  const bytes = fromBase64Lenient(first);
  const text = bytes === undefined ? undefined : fromUtf8(bytes);
  if (text === undefined) return fail("malformed", `${PAYMENT_SIGNATURE_HEADER} is not base64 of UTF-8 text`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("malformed", `${PAYMENT_SIGNATURE_HEADER} is not base64 JSON`);
  }
  if (!isObject(json) || typeof json["x402Version"] !== "number" || !isObject(json["payload"]) || !isRequirements(json["accepted"])) {
    return fail("malformed", `${PAYMENT_SIGNATURE_HEADER} needs x402Version, the accepted requirements and a payload object`);
  }
  return succeed({ x402Version: json["x402Version"], accepted: json["accepted"], payload: json["payload"] });
}

function isRequirements(value: unknown): value is PaymentRequirements {
  if (!isObject(value)) return false;
  const texts = ["scheme", "network", "asset", "amount", "payTo"].every((name) => typeof value[name] === "string");
  return texts && typeof value["maxTimeoutSeconds"] === "number" && isObject(value["extra"]);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
