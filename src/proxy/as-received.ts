import { fail, succeed, type Result } from "../l402/index.ts";
import { onWorkers } from "../platform.ts";

/** Fields about the origin's connection to this hop, never the client's (RFC 9110 §7.6.1), and `Trailer`, naming trailers a fetch does not pass. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer"];
/** What a `Connection` may name that describes the body, not the hop: kept, as on the request (forward.ts), or a browser would guess the type. */
const BODY_FIELDS: ReadonlySet<string> = new Set(["content-length", "content-type"]);
/** The content codings every such fetch decodes (undici's, Node's, Bun's): any other in the list, and none is. */
const DECODED_CODINGS: ReadonlySet<string> = new Set(["gzip", "x-gzip", "deflate", "br"]);
/** What the origin is asked for where the fetch decodes (forward.ts): codings it decodes and this module knows; a newer fetch's zstd would reach the client decoded but labelled. */
export const DECODED_ACCEPT_ENCODING = "gzip, deflate, br";

let decodes: boolean | undefined;

/** Whether this runtime's fetch decodes what it receives, as the Fetch standard says (Node's does; workerd's passes an encoded body through), read once. Node's also refuses an upgrade: a WebSocket passes on Workers only. */
export const fetchDecodes = (): boolean => (decodes ??= !onWorkers());

/**
 * The origin's answer as its client may be given it. workerd frames an
 * answer itself and passes an encoded body through as it came: as it is
 * there. A fetch that follows the Fetch standard (Node's: the middleware
 * there) hands on what Node's server would then act on toward the client:
 * - the origin's own connection's fields (`Connection: close`, `Keep-Alive`,
 *   `Transfer-Encoding`, an `Upgrade` offer, `Trailer` for trailers it drops),
 *   which would close the client's connection or frame its answer twice: taken
 *   off, with the fields `Connection` names but the body's own;
 * - a gzip, deflate or brotli body decoded, under the origin's
 *   `Content-Encoding` and `Content-Length`: plain bytes labelled compressed,
 *   more of them than the length says, the rest spilling onto the client's
 *   connection: both taken off, as on a HEAD's answer, which describes what
 *   a GET gets. A range (206) so decoded is refused, a HEAD's too: its
 *   `Content-Range` counts bytes the client would not get.
 */
export function asReceived(response: Response): Result<Response, "origin_range_decoded"> {
  // A template Worker's build names its backend (worker/build.ts) and runs on Workers alone: the define is read in the condition, where the bundler folds it and drops the rest.
  if (typeof globalThis.L402_BUILD_BACKEND !== "string" && fetchDecodes()) return asDecodingFetchGives(response);
  return succeed(response);
}

/** The answer a fetch that decodes gives, made what the client may be given (asReceived). */
function asDecodingFetchGives(response: Response): Result<Response, "origin_range_decoded"> {
  const { headers: received, status } = response;
  const connection = received.get("connection");
  const named = connection === null ? [] : connection.split(",").map((token) => token.trim().toLowerCase());
  const hopByHop = [...HOP_BY_HOP, ...named].filter((name) => name !== "" && !BODY_FIELDS.has(name) && received.has(name));
  const coding = received.get("content-encoding");
  const decoded = coding !== null && coding.split(",").every((token) => DECODED_CODINGS.has(token.trim().toLowerCase()));
  if (decoded && status === 206) {
    void response.body?.cancel();
    return fail("origin_range_decoded", "the origin answered a range compressed, which this runtime's fetch decodes: the range cannot be passed on");
  }
  if (hopByHop.length === 0 && !decoded) return succeed(response);
  const headers = new Headers(received);
  for (const name of [...hopByHop, ...(decoded ? ["content-encoding", "content-length"] : [])]) headers.delete(name);
  return succeed(new Response(response.body, { status, statusText: response.statusText, headers }));
}
