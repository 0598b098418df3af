import { formatSats, toBase64, toHex } from "../l402/index.ts";
import { memoryStore } from "./memory-store.ts";
import { formatPaymentCredential } from "../payment/index.ts";
import { isChallenge, readOffer, type Offer, type Scheme } from "./challenge-offer.ts";
import { L402Error, type StoredToken, type TokenStore, type Wallet } from "./types.ts";

export interface L402FetchOptions {
  readonly wallet: Wallet;
  /**
   * The most one token may cost, routing fee included: a challenge priced above it
   * is refused unpaid (`over_budget`), and the wallet may spend at most the rest
   * on routing.
   */
  readonly maxCostSats: number;
  readonly store?: TokenStore;
  /** The schemes to pay (default both; L402 preferred where a server offers both, since its token is reused). */
  readonly schemes?: readonly Scheme[];
  readonly fetch?: typeof fetch;
  /** Progress, e.g. for a command line: called before and after each payment. */
  readonly onPayment?: (event: PaymentEvent) => void;
}

/**
 * Before a payment: the routing fee the budget leaves (`maxFeeMsat`) and the limit
 * the wallet sends for it (`feeLimitMsat`, lower where the wallet has its own;
 * absent where it can send none). After: the fee paid.
 */
export type PaymentEvent =
  | { readonly phase: "paying"; readonly offer: Offer; readonly url: string; readonly maxFeeMsat: bigint; readonly feeLimitMsat: bigint | undefined }
  | { readonly phase: "paid"; readonly offer: Offer; readonly url: string; readonly feeMsat: bigint };

const MAX_REDIRECTS = 20;
const isRedirect = (status: number) => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

/**
 * A fetch that pays L402 challenges, and the Payment scheme's lightning charge
 * where a server offers only that. On a 402 it reads the challenge, checks the
 * price against the budget, pays through the wallet and retries once. L402
 * tokens are kept per origin and reused; a token the server rejects is dropped
 * and replaced by at most one payment; requests racing to the same service
 * share one payment. A Payment charge buys one request: it is sent once and not
 * kept. Request bodies are buffered so they can be re-sent.
 *
 * Redirects are followed here, not by the platform's fetch, so that a token is
 * only ever sent to, and a challenge only ever paid to, the origin that was asked:
 * a 402 from another origin at the end of a redirect is refused unpaid
 * (`foreign_challenge`).
 */
export function createL402Fetch(options: L402FetchOptions): (input: Request | string | URL, init?: RequestInit) => Promise<Response> {
  const store = options.store ?? memoryStore();
  const fetcher = options.fetch ?? fetch;
  const purchases = new Map<string, Promise<StoredToken>>();
  /** First path segment → service, learned from challenges, to pick the right token on a host with several. */
  const serviceByPath = new Map<string, string>();
  const budgetMsat = BigInt(options.maxCostSats) * 1000n;
  const schemes = new Set<Scheme>(options.schemes ?? ["l402", "payment"]);

  /** Pays an offer within the budget, routing fee included; the preimage. */
  const pay = async (offer: Offer, url: string): Promise<Uint8Array> => {
    if (offer.priceMsat > budgetMsat) {
      throw new L402Error("over_budget", `the price is ${formatSats(offer.priceMsat)} sats, above the limit of ${options.maxCostSats}`);
    }
    const maxFeeMsat = budgetMsat - offer.priceMsat;
    options.onPayment?.({ phase: "paying", offer, url, maxFeeMsat, feeLimitMsat: options.wallet.feeLimitMsat?.({ maxFeeMsat }) });
    const { preimage, feeMsat } = await options.wallet.pay(offer.invoice, { maxFeeMsat });
    options.onPayment?.({ phase: "paid", offer, url, feeMsat });
    return preimage;
  };

  const buy = (key: string, offer: Offer & { scheme: "l402" }, url: string): Promise<StoredToken> => {
    const purchaseKey = `${key} ${offer.services.join(",")}`;
    let purchase = purchases.get(purchaseKey);
    if (purchase === undefined) {
      purchase = (async () => {
        const preimage = await pay(offer, url);
        const token: StoredToken = {
          macaroon: toBase64(offer.macaroon),
          preimage: toHex(preimage),
          services: offer.services,
          paidMsat: String(offer.priceMsat),
          createdAt: Math.floor(Date.now() / 1000),
        };
        await store.put(key, token);
        return token;
      })().finally(() => purchases.delete(purchaseKey));
      purchases.set(purchaseKey, purchase);
    }
    return purchase;
  };

  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body === null ? null : await request.arrayBuffer();
    const asked = new URL(request.url);
    const key = asked.origin;
    const pathKey = asked.pathname.split("/")[1] ?? "";

    /** Sends the request with `authorization` (to the asked origin only), following redirects as the request asks. */
    const send = async (authorization: string | undefined): Promise<{ response: Response; from: string }> => {
      let url = asked;
      let method = request.method;
      let payload = body;
      for (let hops = 0; ; hops++) {
        const headers = new Headers(request.headers);
        if (url.origin !== key) headers.delete("authorization");
        else if (authorization !== undefined) headers.set("Authorization", authorization);
        const response = await fetcher(url.href, { method, headers, body: payload, redirect: "manual", signal: request.signal });
        // (Workers' Response types lack "opaqueredirect": only browsers produce it.)
        if ((response.type as string) === "opaqueredirect") {
          // A browser hides where a redirect leads: let it follow (it drops Authorization across origins) and see where it ended.
          const followed = await fetcher(url.href, { method, headers, body: payload, redirect: request.redirect, signal: request.signal });
          return { response: followed, from: new URL(followed.url || url.href).origin };
        }
        const location = response.headers.get("location");
        if (request.redirect === "manual" || !isRedirect(response.status) || location === null) return { response, from: url.origin };
        await response.body?.cancel();
        if (request.redirect === "error") throw new TypeError(`redirect from ${url.href} refused (redirect: "error")`);
        if (hops >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${asked.href}`);
        url = new URL(location, url);
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
          method = method === "HEAD" ? "HEAD" : "GET";
          payload = null;
        }
      }
    };
    const pick = (tokens: readonly StoredToken[]) => {
      const service = serviceByPath.get(pathKey);
      return tokens.find((t) => service !== undefined && t.services.includes(service)) ?? (service === undefined ? tokens[0] : undefined);
    };

    const l402 = (token: StoredToken | undefined) => (token === undefined ? undefined : `L402 ${token.macaroon}:${token.preimage}`);
    const tried = new Set<string>();
    let token = schemes.has("l402") ? pick(await store.get(key)) : undefined;
    let { response, from } = await send(l402(token));
    for (let paid = false; isChallenge(response); ) {
      if (from !== key) {
        await response.body?.cancel();
        throw new L402Error("foreign_challenge", `${key} redirected to ${from}, which asks for payment; only the origin asked is paid`);
      }
      const offer = readOffer(response, schemes);
      if (offer.scheme === "payment") {
        // A charge buys this one request; what the server answers to it is the caller's answer.
        if (paid) break;
        const preimage = await pay(offer, request.url);
        await response.body?.cancel();
        return (await send(formatPaymentCredential({ challenge: offer.challenge, payload: { preimage: toHex(preimage) } }))).response;
      }
      const service = offer.services[0];
      if (service !== undefined) serviceByPath.set(pathKey, service);
      // A token refused for the very service it names is spent or broken: drop it.
      // One for another service stays, for the requests that need it.
      if (token !== undefined) {
        tried.add(token.macaroon);
        if (token.services.some((s) => offer.services.includes(s))) await store.remove(key, token.macaroon);
      }
      const other = (await store.get(key)).find((t) => !tried.has(t.macaroon) && t.services.some((s) => offer.services.includes(s)));
      if (other !== undefined) {
        token = other;
      } else {
        // Still refused after paying: the caller gets this answer, body and all.
        if (paid) break;
        token = await buy(key, offer, request.url);
        paid = true;
        if (tried.has(token.macaroon)) break;
      }
      await response.body?.cancel();
      ({ response, from } = await send(l402(token)));
    }
    return response;
  };
}
