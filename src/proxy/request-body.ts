/** workerd's FixedLengthStream (native: the body does not enter JavaScript); Node has none, and its fetch() refuses a body that is not its Content-Length. */
const FixedLength = (globalThis as { FixedLengthStream?: new (length: number) => TransformStream<Uint8Array, Uint8Array> }).FixedLengthStream;

/** A request's body as it is sent on to the origin. */
export interface BodyToSend {
  readonly stream: ReadableStream<Uint8Array> | null;
  /** Settles true where more than the stated Content-Length was sent (workerd). */
  readonly overran: Promise<boolean> | undefined;
  /** Settles once the whole body has been handed to the origin's request (or its piping failed): the wait for the origin's answer starts then. Undefined: no body. */
  readonly sent: Promise<unknown> | undefined;
}

/**
 * The request's body, piped into the origin's request so that its end is
 * known: an upload of any length is the client's time, not the origin's (the
 * origin answers once it has read it). In workerd a body is held to the
 * Content-Length it states: a request from the internet always has the length
 * it states (Cloudflare frames it); one made by another Worker (a Service
 * Binding) may state a length and carry more, which workerd would send whole,
 * chunked: a price set by Content-Length (`content_length` rules) would buy
 * any body. Held, the origin never receives more than was stated, and
 * `overran` settles true where more was sent. A GET or HEAD has none (an
 * empty one, `Content-Length: 0`, is no body: fetch() refuses one).
 */
export function bodyToSend(request: Request): BodyToSend {
  if (request.method === "GET" || request.method === "HEAD" || request.body === null) return { stream: null, overran: undefined, sent: undefined };
  const stated = request.headers.get("content-length");
  if (FixedLength !== undefined && stated !== null && /^\d{1,15}$/.test(stated)) {
    const held = new FixedLength(Number(stated));
    // workerd's own error for a body past the length; a pipe broken by the origin's failure fails otherwise.
    const overran = request.body.pipeTo(held.writable).then(
      () => false,
      (error: unknown) => error instanceof TypeError && error.message.includes("too many bytes"),
    );
    return { stream: held.readable, overran, sent: overran };
  }
  // A JavaScript stream, in workerd too: its IdentityTransformStream takes no pipe from a body a clone has teed (one read for `bind_request` first: paywall/request.ts), and the request would hang.
  const relay = new TransformStream<Uint8Array, Uint8Array>();
  // A body that fails (the client left) fails the origin's request through the relay.
  const sent = request.body.pipeTo(relay.writable).catch(() => undefined);
  return { stream: relay.readable, overran: undefined, sent };
}
