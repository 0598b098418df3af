import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { decodeMacaroon } from "../../../src/macaroon/index.ts";
import { parseChallenge, toHex } from "../../../src/l402/index.ts";
import { readInvoice } from "../../../src/lightning/index.ts";
import { createWorkerApp } from "../../../src/worker/app.ts";
import { payChallenge, type PaidToken } from "./paywall-client.ts";

/**
 * Calling the Worker in workerd with a test file's own services
 * (L402_SERVICES), for the selling-by-usage tests: `open` keeps the request's
 * work after the answer (a debit, a release) to wait for; a token's balance
 * read from its TokenBalance Durable Object.
 */
export function usageClient(services: () => object[], memo: string) {
  const app = createWorkerApp();
  let usageEnv: object | undefined;
  async function open(path: string, init?: RequestInit): Promise<{ response: Response; settled: () => Promise<void> }> {
    usageEnv ??= { ...env, L402_SERVICES: JSON.stringify(services()), L402_MEMO: `${memo} {service}` };
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(`https://paywall.test${path}`, init), usageEnv, ctx);
    return { response, settled: () => waitOnExecutionContext(ctx) };
  }
  async function send(path: string, init?: RequestInit): Promise<Response> {
    const { response, settled } = await open(path, init);
    const body = await response.arrayBuffer();
    await settled();
    return new Response(body, response);
  }
  const buy = async (path: string, headers: Record<string, string> = {}): Promise<PaidToken> => payChallenge(await send(path, { headers }));
  return { open, send, buy };
}

export const withToken = (token: PaidToken, headers: Record<string, string> = {}): RequestInit => ({ headers: { Authorization: token.authorization, ...headers } });
export const tokenIdOf = (token: PaidToken): string => toHex(decodeMacaroon(token.macaroon).identifier.subarray(34, 66));

/** The amount of a 402's invoice (msat). */
export const amountOf = (response: Response): bigint | undefined => {
  const parsed = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (!parsed.ok) throw new Error("no L402 challenge");
  const invoice = readInvoice(parsed.value.invoice);
  return invoice.ok ? invoice.value.amountMsat : undefined;
};

/** A token's balance as its Durable Object keeps it (msat). */
export async function storedBalance(tokenId: string): Promise<bigint> {
  const namespace = env.L402_BALANCES as NonNullable<typeof env.L402_BALANCES>;
  return runInDurableObject(namespace.get(namespace.idFromName(tokenId)), async (_instance, state) => (await state.storage.get<bigint>("balance")) ?? 0n);
}
