import { sha256, toHex, utf8 } from "../bytes.ts";
import { fail, succeed, type Result } from "../result.ts";
import { methodsCarriedOut, type ClaimedMethods } from "./claimed-methods.ts";
import type { PaywallRequest } from "./request.ts";

/**
 * The digest binding a token to one request (`bind_request`): sha256 of
 *
 *   METHODS \n host \n path \n query \n content-type \n content-encoding \n hex sha256(body)
 *
 * over the canonical URL (what the origin receives; the host with its port,
 * if any). A paid one-shot action (a transfer, an order) is then bought for
 * exactly that request: another method, host (a service may match several),
 * path, query or body needs its own payment. METHODS is the method
 * sent, then, sorted and comma-separated, any other the origin may carry it
 * out as (claimed-methods.ts: a GET for a HEAD, one an override header or a
 * `_method` query parameter names), so a POST bought as such cannot come
 * back as a DELETE by adding `X-HTTP-Method-Override`. The query is taken as sent, not
 * decoded or sorted: origins read repeated names first or last, `;` as a
 * separator, `%FF` as a byte, so no other spelling is surely the same request.
 * Content-Type and Content-Encoding (as sent; empty when absent) say what
 * the body's bytes mean: the same bytes sent as another type, or gzipped
 * rather than plain, are another request to the origin. Bodies are read up to 1 MiB.
 * Where the origin takes overrides and the request sends an override header,
 * a line `\nname: value` follows for each, as Headers give them (claimed-methods.ts:
 * names in lower case and order, a repeated header one line of its values): Express
 * reads `X-HTTP-Method-Override` and its list's first method, others
 * `X-HTTP-Method` or the last, so the same methods claimed another way may be
 * another action. A request without one keeps the digest it always had.
 */
export const MAX_BOUND_BODY_BYTES = 1024 * 1024;

export async function requestDigest(request: PaywallRequest, claimed: ClaimedMethods): Promise<Result<string, "body_too_large">> {
  const body = request.method === "GET" || request.method === "HEAD" || request.readBody === undefined ? new Uint8Array(0) : await request.readBody(MAX_BOUND_BODY_BYTES);
  if (body === undefined) return fail("body_too_large", `a request bound to its payment carries at most ${MAX_BOUND_BODY_BYTES} bytes of body`);
  const methods = methodsCarriedOut(request.method, claimed).join(",");
  const { url, headers } = request;
  const meaning = `${headers.get("content-type") ?? ""}\n${headers.get("content-encoding") ?? ""}`;
  const overrides = claimed.overrideHeaders?.map((line) => `\n${line}`).join("") ?? "";
  return succeed(toHex(sha256(utf8(`${methods}\n${url.host}\n${url.pathname}\n${url.search.slice(1)}\n${meaning}\n${toHex(sha256(body))}${overrides}`))));
}
