import { fail, succeed, type Result } from "../l402/index.ts";
import { onWorkers } from "../platform.ts";

/** Fields about the origin's connection to this hop, never the client's (RFC 9110 §7.6.1), and `Trailer`, naming trailers a fetch does not pass. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer"];
/** What a `Connection` may name that describes the body, not the hop: kept, as on the request (forward.ts), or a browser would guess the type. */
const BODY_FIELDS: ReadonlySet<string> = new Set(["content-length", "content-type"]);
/** What the origin is asked for where the fetch decodes (forward.ts): what every such fetch decodes, whatever the client takes. */
export const DECODED_ACCEPT_ENCODING = "gzip, deflate, br";

/**
 * The content codings Node's fetch (undici) decodes, its version given:
 * gzip, deflate and brotli, and zstd from undici 7.11 (Node 24.4). Any other
 * in an answer's list, and none is decoded.
 */
export function decodedCodings(undiciVersion: string | undefined): ReadonlySet<string> {
  const [major = 0, minor = 0] = (undiciVersion ?? "").split(".").map(Number);
  return new Set(["gzip", "x-gzip", "deflate", "br", ...(major > 7 || (major === 7 && minor >= 11) ? ["zstd"] : [])]);
}

let decodes: ReadonlySet<string> | undefined;

/** What this runtime's fetch decodes, read once: nothing on Workers (workerd passes an encoded body through); as the Fetch standard says elsewhere (Node's). */
const codingsDecoded = (): ReadonlySet<string> =>
  (decodes ??= onWorkers() ? new Set() : decodedCodings((globalThis as { process?: { versions?: { undici?: string } } }).process?.versions?.undici));

/**
 * Whether this runtime's fetch decodes what it receives. A build that names
 * its backend is `wrangler deploy`'s (worker/build.ts) and runs on Workers
 * alone: the define is read here, where the bundler folds it and drops what
 * only a decoding fetch needs. A build naming none (the full build: npm run
 * dev, the tests; the package) asks the runtime.
 */
export const fetchDecodes = (): boolean => typeof globalThis.L402_BUILD_BACKEND !== "string" && codingsDecoded().size > 0;

/**
 * The origin's answer as its client may be given it. workerd frames an
 * answer itself and passes an encoded body through as it came: as it is
 * there. A fetch that follows the Fetch standard (Node's: the middleware
 * there) hands on what Node's server would then act on toward the client:
 * - the origin's own connection's fields (`Connection: close`, `Keep-Alive`,
 *   `Transfer-Encoding`, an `Upgrade` offer, `Trailer` for trailers it drops),
 *   which would close the client's connection or frame its answer twice: taken
 *   off, with the fields `Connection` names but the body's own;
 * - a body decoded (gzip, deflate, brotli; zstd on newer Node), under the origin's
 *   `Content-Encoding` and `Content-Length`: plain bytes labelled compressed,
 *   more of them than the length says, the rest spilling onto the client's
 *   connection: both taken off, as on a HEAD's answer, which describes what
 *   a GET gets. A range (206) so decoded is refused, a HEAD's too: its
 *   `Content-Range` counts bytes the client would not get.
 */
export function asReceived(response: Response): Result<Response, "origin_range_decoded"> {
  // The define again (fetchDecodes), read in the condition, so that the bundler drops the rest too.
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
  const decoded = coding !== null && coding.split(",").every((token) => codingsDecoded().has(token.trim().toLowerCase()));
  if (decoded && status === 206) {
    void response.body?.cancel();
    return fail("origin_range_decoded", "the origin answered a range compressed, which this runtime's fetch decodes: the range cannot be passed on");
  }
  if (hopByHop.length === 0 && !decoded) return succeed(response);
  const headers = new Headers(received);
  for (const name of [...hopByHop, ...(decoded ? ["content-encoding", "content-length"] : [])]) headers.delete(name);
  return succeed(new Response(response.body, { status, statusText: response.statusText, headers }));
}
