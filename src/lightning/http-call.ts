import { bodyText, hexToBytes, sha256 } from "../bytes.ts";
import { readAtMost } from "../read-at-most.ts";
import { LightningError } from "./backend.ts";

/** A node's answer to one call (an invoice, a lookup, its info) is a few KiB: one longer is not read further. */
const MAX_ANSWER_BYTES = 1 << 20;

/**
 * One HTTP call to a node's API, for every HTTP backend: a bounded wait for the
 * whole answer, transport failures as `timeout` / `unavailable`, the body read
 * (1 MiB at most) as text and (when it is one) a JSON object. What a status means is each
 * backend's to say.
 */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

export async function httpCall(url: string, init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string }, timeoutMs: number, what: string): Promise<HttpAnswer> {
  let response: Response;
  let read: { readonly bytes: Uint8Array; readonly truncated: boolean };
  try {
    // Not followed: the redirect's target would get the node's credential (a macaroon header is not one fetch drops).
    response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    read = await readAtMost(response.body, MAX_ANSWER_BYTES);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "TimeoutError" || name === "AbortError") throw new LightningError("timeout", `${what}: no answer within ${timeoutMs} ms`);
    throw new LightningError("unavailable", `${what}: cannot reach the node (${(error as Error).message})`);
  }
  if (read.truncated) throw new LightningError("invalid_response", `${what}: the node's answer is longer than ${MAX_ANSWER_BYTES} bytes`);
  if (response.status >= 300 && response.status < 400) {
    throw new LightningError("node_error", `${what}: the node's URL answers with a redirect (HTTP ${response.status}), not followed: configure the URL it leads to`);
  }
  return httpAnswer(response.status, withoutCredentials(bodyText(read.bytes), init.headers));
}

/**
 * The answer's text with the credentials this call sent taken out: what a node
 * (or a proxy's debug page, answering with the request's headers) says is
 * quoted in errors for operators' logs, which never hold a secret. A header's
 * value goes, and its part after a scheme (`Basic …`).
 */
function withoutCredentials(text: string, headers: Readonly<Record<string, string>>): string {
  let scrubbed = text;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === "content-type") continue;
    for (const secret of [value, value.slice(value.indexOf(" ") + 1)]) if (secret.length >= 8) scrubbed = scrubbed.replaceAll(secret, "[redacted]");
  }
  return scrubbed;
}

/** An answer as the backends read it: the status, the body, and the JSON object the body holds, if any. */
export const httpAnswer = (status: number, text: string): HttpAnswer => ({ status, text, json: parseObject(text) });

/** The JSON object a body holds, or undefined when it holds anything else. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A success that is not a JSON object is not an answer to trust. */
export function jsonOf(answer: HttpAnswer, what: string): Record<string, unknown> {
  if (answer.json === undefined) throw new LightningError("invalid_response", `${what}: the node's answer is not a JSON object`);
  return answer.json;
}

/** An error's text for operators' logs: short, one line. */
export const excerpt = (text: string): string => text.replace(/\s+/g, " ").trim().slice(0, 200);

/** The hex preimage a node reports for a settled invoice, checked against the payment hash: a node's word is not proof. */
export function checkedPreimage(preimageHex: unknown, paymentHash: Uint8Array, what: string): Uint8Array {
  if (typeof preimageHex !== "string" || !/^[0-9a-fA-F]{64}$/.test(preimageHex)) throw new LightningError("invalid_response", `${what}: the settled invoice has no preimage`);
  const preimage = hexToBytes(preimageHex.toLowerCase());
  const digest = sha256(preimage);
  if (!digest.every((byte, i) => byte === paymentHash[i])) throw new LightningError("invalid_response", `${what}: the settled invoice's preimage does not match its payment hash`);
  return preimage;
}
