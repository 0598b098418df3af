import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { concatBytes, fromUtf8, toBase64 } from "../bytes.ts";
import { offersPayment } from "../paywall/index.ts";
import type { Failure } from "../result.ts";

/**
 * The paywall's answer to a tool's request, as the tool's result.
 *
 * A 402 that offers a payment (a challenge in `WWW-Authenticate`: the
 * paywall's, or an origin's on a path it sells itself; one on an answer the
 * paywall let through has lost its offer, passed.ts) is a payment-required result, placed where x402's MCP transport
 * (`@x402/mcp`) and Cloudflare's `paidTool` put theirs: `isError`, the offer
 * in `structuredContent` and, as JSON, in the text content, and the same
 * object under a `_meta` key (README, "Paid MCP tools"). The offer is the
 * 402's body (invoice, macaroon, price, reason) with its `WWW-Authenticate`
 * value, so any client that pays the HTTP challenge pays this one.
 *
 * Any other answer is the origin's (or the paywall's refusal): its body as
 * text (and, JSON, as `structuredContent`), or as a blob; `isError` from 400
 * on; its status and the paywall's metering headers under a `_meta` key.
 */

export const PAYMENT_REQUIRED_KEY = "l402/payment-required";
export const PAYMENT_RESPONSE_KEY = "l402/payment-response";
/** What a tool result carries at most: an answer is read into memory, then into JSON. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** The paywall's headers on an answer it let through: uses and free calls left, the balance, a Payment receipt. */
const PAYWALL_HEADERS = ["x-l402-balance", "x-l402-remaining", "x-l402-freebies-remaining", "payment-receipt"];
const TEXTUAL = /^(?:text\/|application\/(?:[\w.-]+\+)?(?:json|xml|javascript|yaml|x-www-form-urlencoded|x-ndjson)\b)/i;

export async function toolResult(response: Response, url: string): Promise<CallToolResult> {
  const headers = Object.fromEntries(PAYWALL_HEADERS.flatMap((name) => {
    const value = response.headers.get(name);
    return value === null ? [] : [[name, value]];
  }));
  const paid = { [PAYMENT_RESPONSE_KEY]: { status: response.status, headers } };
  const body = await readBounded(response, MAX_ANSWER_BYTES);
  // Charged all the same (a use taken, a metered body billed for what passed): the result says what the call cost.
  const offer = response.status === 402 && offersPayment(response.headers.get("www-authenticate"));
  if (body === undefined) return { ...failureResult({ reason: "answer_too_large", detail: `the answer is over ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, more than a tool result carries` }), ...(offer ? {} : { _meta: paid }) };
  if (offer) return paymentRequired(response, body);
  const type = response.headers.get("content-type");
  const text = type === null || TEXTUAL.test(type) ? fromUtf8(body) : undefined;
  const structured = text === undefined ? undefined : jsonObject(text);
  return {
    content: text === undefined ? [{ type: "resource", resource: { uri: url, mimeType: type ?? "application/octet-stream", blob: toBase64(body) } }] : [{ type: "text", text }],
    ...(structured === undefined ? {} : { structuredContent: structured }),
    ...(response.status >= 400 ? { isError: true } : {}),
    _meta: paid,
  };
}

/** A failure of the call itself (its arguments, its credential, where it was made): an error result naming the reason. */
export function failureResult(failure: Pick<Failure, "reason" | "detail">): CallToolResult {
  const members = { reason: failure.reason, detail: failure.detail };
  return { isError: true, structuredContent: members, content: [{ type: "text", text: JSON.stringify(members) }] };
}

function paymentRequired(response: Response, body: Uint8Array): CallToolResult {
  const text = fromUtf8(body) ?? "";
  const offer = { ...(jsonObject(text) ?? { reason: "payment_required", detail: "payment required" }), www_authenticate: response.headers.get("www-authenticate") ?? "" };
  return { isError: true, structuredContent: offer, content: [{ type: "text", text: JSON.stringify(offer) }], _meta: { [PAYMENT_REQUIRED_KEY]: offer } };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The body, or undefined once it passes `limit` bytes (the rest is not read: a metered answer is charged for what passed). */
async function readBounded(response: Response, limit: number): Promise<Uint8Array | undefined> {
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(...chunks);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}
