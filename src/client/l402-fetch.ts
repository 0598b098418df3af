import { formatSats, toBase64, toHex } from "../l402/index.ts";
import { memoryStore } from "./memory-store.ts";
import { isChallenge, readOffer, type Offer } from "./challenge-offer.ts";
import { L402Error, type StoredToken, type TokenStore, type Wallet } from "./types.ts";

export interface L402FetchOptions {
  readonly wallet: Wallet;
  /** The most one token may cost; a dearer challenge is refused unpaid (`over_budget`). */
  readonly maxPriceSats: number;
  readonly store?: TokenStore;
  readonly fetch?: typeof fetch;
  /** Progress, e.g. for a command line: called before and after each payment. */
  readonly onPayment?: (event: { phase: "paying" | "paid"; offer: Offer; url: string }) => void;
}

/**
 * A fetch that pays L402 challenges. On a 402 it reads the challenge, checks the
 * price against the budget, pays through the wallet, keeps the token and retries
 * once. Tokens are kept per origin and reused; a token the server rejects is
 * dropped and replaced by at most one payment. Requests racing to the same
 * service share one payment. Request bodies are buffered so they can be re-sent.
 */
export function createL402Fetch(options: L402FetchOptions): (input: Request | string | URL, init?: RequestInit) => Promise<Response> {
  const store = options.store ?? memoryStore();
  const fetcher = options.fetch ?? fetch;
  const purchases = new Map<string, Promise<StoredToken>>();
  /** First path segment → service, learned from challenges, to pick the right token on a host with several. */
  const serviceByPath = new Map<string, string>();

  const buy = (key: string, offer: Offer, url: string): Promise<StoredToken> => {
    const purchaseKey = `${key} ${offer.services.join(",")}`;
    let purchase = purchases.get(purchaseKey);
    if (purchase === undefined) {
      purchase = (async () => {
        if (offer.priceMsat > BigInt(options.maxPriceSats) * 1000n) {
          throw new L402Error("over_budget", `the price is ${formatSats(offer.priceMsat)} sats, above the limit of ${options.maxPriceSats}`);
        }
        options.onPayment?.({ phase: "paying", offer, url });
        const { preimage } = await options.wallet.pay(offer.invoice);
        const token: StoredToken = {
          macaroon: toBase64(offer.macaroon),
          preimage: toHex(preimage),
          services: offer.services,
          paidMsat: String(offer.priceMsat),
          createdAt: Math.floor(Date.now() / 1000),
        };
        await store.put(key, token);
        options.onPayment?.({ phase: "paid", offer, url });
        return token;
      })().finally(() => purchases.delete(purchaseKey));
      purchases.set(purchaseKey, purchase);
    }
    return purchase;
  };

  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body === null ? null : await request.arrayBuffer();
    const url = new URL(request.url);
    const key = url.origin;
    const pathKey = url.pathname.split("/")[1] ?? "";
    const send = (token: StoredToken | undefined) => {
      const headers = new Headers(request.headers);
      if (token !== undefined) headers.set("Authorization", `L402 ${token.macaroon}:${token.preimage}`);
      return fetcher(request.url, { method: request.method, headers, body, redirect: request.redirect, signal: request.signal });
    };
    const pick = (tokens: readonly StoredToken[]) => {
      const service = serviceByPath.get(pathKey);
      return tokens.find((t) => service !== undefined && t.services.includes(service)) ?? (service === undefined ? tokens[0] : undefined);
    };

    const tried = new Set<string>();
    let token = pick(await store.get(key));
    let response = await send(token);
    for (let paid = false; isChallenge(response); ) {
      const offer = readOffer(response);
      await response.body?.cancel();
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
        if (paid) break;
        token = await buy(key, offer, request.url);
        paid = true;
        if (tried.has(token.macaroon)) break;
      }
      response = await send(token);
    }
    return response;
  };
}
