/**
 * Every method a request may be carried out as, for judging capability rules.
 *
 * Frameworks let a request claim another method than the one it was sent
 * with: Express's method-override, Symfony and Laravel read these headers,
 * and a `_method` parameter of a POST's query or form body. The origin then
 * acts on the claimed method, so a rule that needs a capability for DELETE
 * must see a POST claiming DELETE as a DELETE too. A form body is not read
 * (the paywall streams bodies): it may claim any method, so it is judged as
 * every method the rules name.
 */
const OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override"] as const;
const OVERRIDE_PARAMETER = "_method";
const FORM_BODY = /^\s*(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:;|$)/i;

export interface ClaimedMethods {
  /** The method sent and every method claimed by a header or a `_method` query parameter, upper case. */
  readonly methods: readonly string[];
  /** A form body, which may claim any method. */
  readonly anyMethod: boolean;
}

export function claimedMethods(method: string, headers: { get(name: string): string | null }, url: URL): ClaimedMethods {
  const methods = new Set([method.toUpperCase()]);
  const claim = (value: string) => {
    for (const part of value.split(",")) if (part.trim() !== "") methods.add(part.trim().toUpperCase());
  };
  for (const name of OVERRIDE_HEADERS) {
    const value = headers.get(name);
    if (value !== null) claim(value);
  }
  for (const value of url.searchParams.getAll(OVERRIDE_PARAMETER)) claim(value);
  return { methods: [...methods], anyMethod: FORM_BODY.test(headers.get("content-type") ?? "") };
}

/** A plain request of one method, claiming nothing else (a browser's page load). */
export const onlyMethod = (method: string): ClaimedMethods => ({ methods: [method], anyMethod: false });
