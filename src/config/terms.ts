/** What one payment buys, in words: the 402 page and the discovery documents say it alike. */
export function termsOf(service: { readonly uses: number | undefined; readonly timeoutSeconds: number | undefined; readonly balance?: unknown }): string {
  const within = service.timeoutSeconds === undefined ? undefined : duration(service.timeoutSeconds);
  if (service.balance !== undefined) return `Prepaid credit, spent request by request${within === undefined ? "" : `, within ${within}`}; top it up when it runs low.`;
  if (service.uses !== undefined) return `${service.uses} ${service.uses === 1 ? "request" : "requests"}${within === undefined ? "." : `, within ${within}.`}`;
  return within === undefined ? "Access without expiry." : `Access for ${within}.`;
}

/** What one Payment charge or x402 payment buys: as many requests as a token's `uses` where the service counts them (its meter bounds a reusable credential), else one request. */
export function chargeTermsOf(service: { readonly uses: number | undefined; readonly timeoutSeconds: number | undefined }): string {
  return service.uses === undefined ? "One request per payment." : termsOf(service);
}

function duration(seconds: number): string {
  const [size, unit] = seconds % 86_400 === 0 ? [seconds / 86_400, "day"] : seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return `${size} ${unit}${size === 1 ? "" : "s"}`;
}
