/**
 * Header names as origins behind CGI-style gateways read them: PHP's
 * `$_SERVER`, Django's `request.META` and WSGI all make `X_Model` and
 * `X-Model` one `HTTP_X_MODEL`. The paywall reads a header it prices or acts
 * on in every such spelling, and the forwarder takes the headers it owns off
 * in every spelling, so what is matched is what such an origin reads.
 */
export const asGatewayReadsIt = (name: string): string => name.toLowerCase().replaceAll("_", "-");

/** Header names to look for under another spelling, made once, not on every request that is checked. */
export interface HeaderSpellings {
  /** By the name a gateway reads, the name wanted (lower case). */
  readonly wanted: ReadonlyMap<string, string>;
  /** Whether a wanted name has `_`: then a name sent without one may be another spelling of it. */
  readonly anyUnderscore: boolean;
}

export const headerSpellings = (names: readonly string[]): HeaderSpellings => ({
  wanted: new Map(names.map((name) => [asGatewayReadsIt(name), name.toLowerCase()])),
  anyUnderscore: names.some((name) => name.includes("_")),
});

/**
 * The headers sent under another spelling of one of the names wanted (`_` for
 * `-`, or the reverse) that such an origin reads as that name: each with the
 * name it is read as (lower case) and the name it was sent under.
 */
export function otherSpellings(headers: { keys(): Iterable<string> }, { wanted, anyUnderscore }: HeaderSpellings): { readonly name: string; readonly sent: string }[] {
  const found: { name: string; sent: string }[] = [];
  if (wanted.size === 0) return found;
  for (const sent of headers.keys()) {
    // Names without `_` wanted: only a name sent with one can be read as another (most requests send none).
    if (!anyUnderscore && !sent.includes("_")) continue;
    const name = wanted.get(asGatewayReadsIt(sent));
    if (name !== undefined && name !== sent.toLowerCase()) found.push({ name, sent });
  }
  return found;
}
