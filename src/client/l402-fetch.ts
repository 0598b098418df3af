import { formatSats, toBase64, toHex } from "../l402/index.ts";
import { keyedQueue } from "./keyed-queue.ts";
import { memoryStore } from "./memory-store.ts";
import { fits, isChallenge, readOffer, refusalReason, type Offer, type Scheme } from "./challenge-offer.ts";
import { sendPaidOnce, sendToOrigin, type Credential, type Sent } from "./send-to-origin.ts";
import { memoryLedger, releaseRecord, reserve, windowHost } from "./spend-windows.ts";
import { inDoubt, isInDoubt, neverMade, settleInDoubt, settleTopUpInDoubt, withoutTopUpInDoubt, withPendingTopUp, withTopUpInDoubt } from "./payment-in-doubt.ts";
import { inClear } from "../this-machine.ts";
import { storedTokenTerms } from "./token-terms.ts";
import { L402Error, type StoredToken } from "./types.ts";
import { untilAborted } from "./until-aborted.ts";
import { oneRequestCredential, requestIdentity, unsentChargesOf } from "./one-request-charges.ts";
import type { L402FetchOptions } from "./fetch-options.ts";

/**
 * A fetch that pays L402 challenges, and the Payment scheme's lightning charge
 * or x402's Lightning entry where a server offers no L402. On a 402 it reads the challenge, checks the
 * price against the budget, pays through the wallet and retries once. L402
 * tokens are kept per origin and reused; a token the server rejects is dropped
 * and replaced by at most one payment; requests racing to the same service
 * share one payment. A Payment charge or an x402 payment buys one request: it
 * is sent once and not kept, and so is a token bound to one request. Request bodies are buffered so
 * they can be re-sent.
 *
 * Selling by usage: a token refused because this request costs more than it
 * paid for (`price_exceeds_token`) is kept for cheaper ones, and a token held
 * that covers the price is sent, else one bought at it. A 402 offering a
 * top-up of the token just sent (its balance is short) is paid within the
 * budget, the top-up token sent once, and the token kept (requests racing on
 * one short balance wait for one top-up); the balance each answer reports
 * (`X-L402-Balance`) is kept with the token.
 *
 * Redirects are followed here, not by the platform's fetch, so that a token is
 * only ever sent to, and a challenge only ever paid to, the origin that was asked:
 * a 402 from another origin at the end of a redirect is refused unpaid
 * (`foreign_challenge`).
 */
export function createL402Fetch(options: L402FetchOptions): (input: Request | string | URL, init?: RequestInit) => Promise<Response> {
  const store = options.store ?? memoryStore();
  /** Purchases one at a time by name: the store's, shared with its other clients, or this client's own. */
  const purchasing = store.purchasing?.bind(store) ?? keyedQueue();
  const fetcher = options.fetch ?? fetch;
  const purchases = new Map<string, Promise<StoredToken>>();
  /** The requests each purchase under way is for (its first, and those that joined it): one all of them left pays nothing. */
  const purchaseWanting = new Map<string, Set<AbortSignal>>();
  /** Top-ups under way, by the macaroon of the token topped up: settled once the top-up token has been answered. */
  const topUps = new Map<string, Promise<void>>();
  /** Origin and first path segment → service, learned from challenges, to pick the right token on a host with several. */
  const serviceByPath = new Map<string, string>();
  const budgetMsat = BigInt(options.maxCostSats) * 1000n;
  const schemes = new Set<Scheme>(options.schemes ?? ["l402", "payment", "x402"]);
  const ledger = options.ledger ?? memoryLedger();
  const unsent = unsentChargesOf(store);

  /**
   * Pays an offer within the budget and the spend windows, routing fee included;
   * the preimage. The payment is counted in the windows before the wallet is
   * asked, and uncounted only where the wallet certainly paid nothing; so is
   * what `doubt` keeps (a token in doubt) kept and dropped. Nothing is paid
   * once every request `wanting` it was aborted (its caller went: a cancelled
   * MCP call that waited its turn to buy): the abort's reason is thrown.
   */
  const pay = async (offer: Offer, url: string, wanting: ReadonlySet<AbortSignal>, doubt?: { keep(spendRecord: string): Promise<void>; drop(): Promise<void> }): Promise<Uint8Array> => {
    // An invoice no wallet can pay is not paid at all: one that fails unclearly would stay counted in the windows (a hostile server's way to fill them).
    if (offer.expiresAt <= Math.floor(Date.now() / 1000)) throw new L402Error("bad_challenge", `the server's invoice expired at ${new Date(offer.expiresAt * 1000).toISOString()}; nothing was paid`);
    if (offer.priceMsat > budgetMsat) {
      const what = offer.scheme === "l402" && offer.terms.topupFor !== undefined ? "the top-up for this token's balance" : "the price";
      throw new L402Error("over_budget", `${what} is ${formatSats(offer.priceMsat)} sats, above the limit of ${options.maxCostSats}`);
    }
    const reservation = await reserve(ledger, options.limits ?? {}, { host: windowHost(url), priceMsat: offer.priceMsat, maxFeeMsat: budgetMsat - offer.priceMsat });
    const { maxFeeMsat } = reservation;
    let asked = false;
    let paid: { readonly preimage: Uint8Array; readonly feeMsat: bigint };
    try {
      await doubt?.keep(reservation.id);
      const abandoned = wanting.size > 0 && [...wanting].every((signal) => signal.aborted);
      if (abandoned) throw [...wanting][0]?.reason;
      options.onPayment?.({ phase: "paying", offer, url, maxFeeMsat, feeLimitMsat: options.wallet.feeLimitMsat?.({ maxFeeMsat }) });
      asked = true;
      paid = await options.wallet.pay(offer.invoice, { maxFeeMsat });
    } catch (error) {
      if (!asked || (error instanceof L402Error && error.unpaid && (await neverMade(options.wallet, offer.paymentHash)))) {
        await reservation.release();
        // Never made: nothing is in doubt (left, a failed drop is settled by the next purchase).
        await doubt?.drop().catch(() => undefined);
      }
      throw error;
    }
    // Paid: a ledger that cannot be written now keeps the most the payment could have cost, which overcounts, never under.
    await reservation.settle(paid.feeMsat).catch(() => undefined);
    options.onPayment?.({ phase: "paid", offer, url, feeMsat: paid.feeMsat });
    return paid.preimage;
  };
  /** Uncounts a payment kept in doubt, found never made (a ledger that cannot be written now keeps it: an overcount, never under). */
  const unspend = (spendRecord: string) => releaseRecord(ledger, spendRecord).catch(() => undefined);

  /** Changes to the store, one at a time: each reads what the one before wrote (a store's put may itself read, then write). */
  let writing = Promise.resolve();
  const serially = (write: () => Promise<void>): Promise<void> => {
    const done = writing.then(write);
    writing = done.catch(() => undefined);
    return done;
  };
  /** A kept token, changed (nothing, if it is no longer kept, unless `orKeep`: then `orKeep` changed is kept). */
  const amend = (key: string, macaroon: string, change: (token: StoredToken) => StoredToken, orKeep?: StoredToken): Promise<void> =>
    serially(async () => {
      // In one step where the store can (another client's change made meanwhile is kept).
      if (store.update !== undefined && (await store.update(key, macaroon, change))) return;
      const kept = (await store.get(key)).find((token) => token.macaroon === macaroon) ?? orKeep;
      if (kept !== undefined) await store.put(key, change(kept));
    });

  /** The tokens of `key` that can be sent (not those whose payment is in doubt). */
  const held = async (key: string): Promise<StoredToken[]> => (await store.get(key)).filter((token) => !isInDoubt(token));

  /**
   * The token an offer sells, paid. Kept, and shared by requests racing for the
   * same offer, and with other clients of the store where it can say so
   * (`purchasing`): one that finds a fitting token `unused` by the request
   * once its turn comes (another bought it meanwhile) takes it unpaid. One
   * bound to its request is neither shared nor kept. Where the wallet can look
   * payments up, a kept token is kept in doubt from before its payment
   * (payment-in-doubt.ts), and those in doubt at the origin are settled
   * before anything more is paid. One whose every request (`signal`) was
   * aborted while it waited its turn pays nothing.
   */
  const buy = (key: string, offer: Offer & { scheme: "l402" }, url: string, unused: (token: StoredToken) => boolean, signal: AbortSignal): Promise<StoredToken> => {
    const { priceMsat, request, creditMsat } = offer.terms;
    const { lookup } = options.wallet;
    const bought = async (wanting: ReadonlySet<AbortSignal>): Promise<StoredToken> => {
      const token: StoredToken = {
        macaroon: toBase64(offer.macaroon),
        preimage: "",
        services: offer.services,
        paidMsat: String(offer.priceMsat),
        createdAt: Math.floor(Date.now() / 1000),
        ...(creditMsat === undefined ? {} : { creditMsat: String(creditMsat) }),
      };
      // A macaroon already held (a server offering it again) is never replaced by its copy in doubt.
      let alreadyHeld = false;
      const keep = (spendRecord: string) =>
        serially(async () => {
          alreadyHeld = (await store.get(key)).some((t) => t.macaroon === token.macaroon);
          if (!alreadyHeld) await store.put(key, inDoubt(token, spendRecord));
        });
      const drop = () => (alreadyHeld ? Promise.resolve() : serially(() => store.remove(key, token.macaroon)));
      return { ...token, preimage: toHex(await pay(offer, url, wanting, lookup === undefined || request !== undefined ? undefined : { keep, drop })) };
    };
    if (request !== undefined) return bought(new Set([signal]));
    const purchaseKey = `${key} ${offer.services.join(",")} ${priceMsat ?? ""} ${creditMsat ?? ""}`;
    let purchase = purchases.get(purchaseKey);
    if (purchase !== undefined) purchaseWanting.get(purchaseKey)?.add(signal);
    else {
      const wanting = new Set([signal]);
      purchaseWanting.set(purchaseKey, wanting);
      const purchaseOnce = async (): Promise<StoredToken> => {
        const kept = await store.get(key);
        const usable = (t: StoredToken) => unused(t) && fits(t, offer);
        const meanwhile = kept.find((t) => !isInDoubt(t) && usable(t));
        if (meanwhile !== undefined) return meanwhile;
        // Every token of the origin in doubt: settled under its purchase lock, so never one whose payment is under way.
        const writes = { complete: (t: StoredToken) => serially(() => store.put(key, t)), remove: (macaroon: string) => serially(() => store.remove(key, macaroon)), release: unspend };
        const blocks = (t: StoredToken) => t.services.length === 0 || offer.services.length === 0 || t.services.some((s) => offer.services.includes(s));
        const settled = lookup === undefined ? undefined : await settleInDoubt(kept.filter(isInDoubt), lookup, writes, { usable, blocks });
        if (settled !== undefined) return settled;
        const token = await bought(wanting);
        await serially(() => store.put(key, token));
        return token;
      };
      // One purchase at the origin at a time, whatever it buys (those of one offer share it, above).
      purchase = purchasing(`${key} purchase`, purchaseOnce).finally(() => {
        purchases.delete(purchaseKey);
        purchaseWanting.delete(purchaseKey);
      });
      purchases.set(purchaseKey, purchase);
    }
    return purchase;
  };

  /**
   * Pays a top-up of `token` and sends the top-up token, once; the answer, and
   * the token as kept. Requests racing on the same balance wait for it
   * meanwhile, and so do other clients of the store where it can say so
   * (`purchasing`): one that finds the token topped up since it read it sends
   * the token again instead of paying (`paid: false`), and one that finds a
   * top-up paid and not yet answered sends that. The top-up token is kept
   * with the token before it is sent (`pendingTopUp`), so that one whose
   * sending fails is sent by the next request on the token, never lost; it is
   * counted in `topUps` once the answer says it was credited (`credited`), so
   * that a count one higher means a credit already applied.
   */
  const topUp = async (key: string, token: StoredToken, offer: Offer & { scheme: "l402" }, url: string, send: Send, signal: AbortSignal): Promise<{ readonly sent: Sent; readonly paid: boolean; readonly token: StoredToken }> => {
    let answered = () => {};
    topUps.set(token.macaroon, new Promise<void>((resolve) => (answered = resolve)));
    const topUpOnce = async () => {
      const kept = (await store.get(key)).find((t) => t.macaroon === token.macaroon);
      if (kept?.pendingTopUp !== undefined) return { ...(await sendPendingTopUp(key, kept, kept.pendingTopUp, send)), paid: false };
      if (kept !== undefined && (kept.topUps ?? 0) > (token.topUps ?? 0)) return { sent: await send(l402Credential(kept)), paid: false, token: kept };
      const { lookup } = options.wallet;
      if (kept?.topUpInDoubt !== undefined && lookup !== undefined) {
        // A top-up whose payment's outcome was never learned: paid, it is sent now; never made, forgotten; in flight, nothing more is paid.
        const settled = await settleTopUpInDoubt(kept, lookup, unspend);
        await amend(key, token.macaroon, (held) => (settled === undefined ? withoutTopUpInDoubt(held) : withPendingTopUp(held, settled)), settled === undefined ? undefined : kept);
        if (settled !== undefined) return { ...(await sendPendingTopUp(key, kept, settled.token, send)), paid: false };
      }
      const macaroon = toBase64(offer.macaroon);
      const paying = { paidMsat: offer.priceMsat, creditMsat: offer.terms.creditMsat };
      const doubt = lookup === undefined ? undefined : { keep: (spendRecord: string) => amend(key, token.macaroon, (held) => withTopUpInDoubt(held, { ...paying, macaroon, spendRecord }), token), drop: () => amend(key, token.macaroon, withoutTopUpInDoubt) };
      const pending = `${macaroon}:${toHex(await pay(offer, url, new Set([signal]), doubt))}`;
      // Kept again if another request dropped the token meanwhile: its server has just offered to top it up, and what was paid must not be lost.
      await amend(key, token.macaroon, (held) => withPendingTopUp(held, { ...paying, token: pending }), token);
      // Sent as any pending one is: another request may send it first (it found it pending), and this one meet topup_spent.
      return { sent: (await sendPendingTopUp(key, token, pending, send)).sent, paid: true, token };
    };
    try {
      return await purchasing(`${key} top-up ${token.macaroon}`, topUpOnce);
    } finally {
      topUps.delete(token.macaroon);
      answered();
    }
  };

  /**
   * Sends a top-up `token` holds paid but not yet known to be credited
   * (`pending`: just paid, or its sending failed), in place of the token, which it credits and is debited
   * from; once credited (`credited`) it is counted and no longer pending. Already credited
   * (`topup_spent`: it arrived and its answer did not), the token is sent instead.
   */
  const sendPendingTopUp = async (key: string, token: StoredToken, pending: string, send: Send): Promise<{ readonly sent: Sent; readonly token: StoredToken }> => {
    const sent = await send(authorization(`L402 ${pending}`));
    // topup_spent says the credit arrived, with or without the balance beside it (a proxy may strip the header).
    const spent = sent.from === key && isChallenge(sent.response) && (await refusalReason(sent.response)) === "topup_spent";
    if (!spent && !credited(sent, key)) return { sent, token };
    await amend(key, token.macaroon, (held) => (held.pendingTopUp === pending ? answeredTopUp(held) : held));
    const kept = answeredTopUp(token);
    if (!spent) return { sent, token: kept };
    await sent.response.body?.cancel();
    return { sent: await send(l402Credential(kept)), token: kept };
  };

  /** The balance an answer from the origin reports, kept with the token it is for. */
  const noteBalance = async (key: string, token: StoredToken | undefined, { response, from }: Sent): Promise<void> => {
    const balance = reportedBalance({ response, from }, key);
    if (token === undefined || balance === undefined || balance === token.balanceMsat) return;
    await amend(key, token.macaroon, (kept) => ({ ...kept, balanceMsat: balance }));
  };

  return async (input, init) => {
    const given = new Request(input, init);
    const request = options.creditSats === undefined || given.headers.has("x-l402-credit") ? given : withHeader(given, "X-L402-Credit", String(options.creditSats));
    const body = request.body === null ? null : await request.arrayBuffer();
    const asked = new URL(request.url);
    const key = asked.origin;
    // No token goes, and nothing is paid, where anyone on the path could read or change it.
    const insecure = options.allowHttp !== true && inClear(asked);
    // By origin: one origin's services say nothing of another's paths.
    const pathKey = `${key} ${asked.pathname.split("/")[1] ?? ""}`;
    // What is sent: the request, or, once an answer came at the end of redirects, the request that answer is for.
    let target = { request, body };
    const send = (credential: Credential | undefined) => sendToOrigin(fetcher, target.request, target.body, credential);
    const pick = (tokens: readonly StoredToken[]) => {
      const service = serviceByPath.get(pathKey);
      return tokens.find((t) => service !== undefined && t.services.includes(service)) ?? (service === undefined ? tokens[0] : undefined);
    };
    const l402 = (token: StoredToken | undefined) => (token === undefined ? undefined : l402Credential(token));
    const tried = new Set<string>();
    let identity = requestIdentity(request.method, request.url, body);
    /** Sends a paid one-request credential; one that may not have been answered is kept for this request's next call. */
    const sendCharge = (credential: Credential, expiresAt: number): Promise<Sent> => sendPaidOnce(send, credential, target.request.method, () => unsent.keep(identity, credential, expiresAt));
    const charge = insecure ? undefined : unsent.take(identity, Date.now() / 1000);
    let token = schemes.has("l402") && !insecure && charge === undefined ? pick(await held(key)) : undefined;
    let sent: Sent;
    // A charge paid for this request and never answered goes first: refused (spent, expired), the request is paid as any other.
    if (charge !== undefined) sent = await sendCharge(charge.credential, charge.expiresAt);
    else if (token?.pendingTopUp === undefined) sent = await send(l402(token));
    else ({ sent, token } = await sendPendingTopUp(key, token, token.pendingTopUp, send));
    // Each round is bounded by what it may do once (one payment, one wait, each token tried once); the cap is for a server no rule foresaw.
    for (let paid = false, waited = false, stalled = false, rounds = 0; isChallenge(sent.response) && rounds < MAX_ROUNDS; rounds++) {
      const { response, from } = sent;
      if (from !== key) {
        await response.body?.cancel();
        throw new L402Error("foreign_challenge", `${key} redirected to ${from}, which asks for payment; only the origin asked is paid`);
      }
      if (sent.answered === "unknown") {
        await response.body?.cancel();
        throw new L402Error("bad_challenge", `the browser followed a redirect of this ${request.method} to a 402 without saying where: paid, it would be sent again, and done twice; nothing was paid`);
      }
      if (sent.answered !== undefined) {
        ({ answered: target } = sent);
        identity = requestIdentity(target.request.method, target.request.url, target.body);
      }
      if (insecure) {
        await response.body?.cancel();
        throw new L402Error("insecure_origin", `${key} asks for payment over plain http://: a credential sent there crosses the network in clear, and its 402's invoice could be anyone's; nothing was paid (use https://)`);
      }
      // A credential paid for the request a redirect led to, and kept unanswered (its caller left), goes before anything more is paid; its answer is its own, no token's.
      const kept = sent.answered === undefined ? undefined : unsent.take(identity, Date.now() / 1000);
      if (kept !== undefined) {
        await response.body?.cancel();
        token = undefined;
        sent = await sendCharge(kept.credential, kept.expiresAt);
        continue;
      }
      const offer = readOffer(response, schemes);
      if (offer.scheme !== "l402") {
        // A charge or an x402 payment buys this one request; what the server answers to it (its receipt too) is the caller's answer.
        if (paid) break;
        const paying = pay(offer, request.url, new Set([request.signal]));
        // Paid after its caller left: kept for the same request's next call, which then pays nothing.
        paying.then((preimage) => request.signal.aborted && unsent.keep(identity, oneRequestCredential(offer, toHex(preimage)), offer.expiresAt), () => undefined);
        const credential = oneRequestCredential(offer, toHex(await untilAborted(paying, request.signal)));
        await response.body?.cancel();
        return (await sendCharge(credential, offer.expiresAt)).response;
      }
      const service = offer.services[0];
      if (service !== undefined) serviceByPath.set(pathKey, service);
      await noteBalance(key, token, sent);
      if (offer.terms.topupFor !== undefined) {
        // The balance of the token sent is short. Its top-up, and only its: paying another's would credit a balance not ours.
        if (token === undefined || offer.terms.topupFor !== storedTokenTerms(token.macaroon)?.tokenId) {
          await response.body?.cancel();
          throw new L402Error("bad_challenge", "the 402 offers a top-up of a token this request did not send; nothing was paid");
        }
        const underway = topUps.get(token.macaroon);
        if (underway === undefined || waited) {
          if (paid || stalled) break;
          await response.body?.cancel();
          ({ sent, paid, token } = await untilAborted(topUp(key, token, offer, request.url, send, request.signal), request.signal));
          // A top-up paid before, sent again and still not credited: the server does not take it, and is not sent it again in this call.
          stalled = !paid && token.pendingTopUp !== undefined;
        } else {
          waited = true;
          await response.body?.cancel();
          await untilAborted(underway, request.signal);
          sent = await send(l402(token));
        }
        continue;
      }
      const reason = await refusalReason(response);
      // A token refused for the very service it names is spent or broken (or bound to another request), or short with no top-up on offer (it expires too soon): drop it.
      // One for another service stays, for the requests that need it; so does one refused only for this request (it costs more than the token paid for, or needs a capability it does not grant).
      if (token !== undefined) {
        const { macaroon } = token;
        tried.add(macaroon);
        if (!REFUSED_THIS_REQUEST.has(reason ?? "") && token.services.some((s) => offer.services.includes(s))) await serially(() => store.remove(key, macaroon));
      }
      // A token bound to one request fits no other: none held is tried.
      const untried = (t: StoredToken) => !tried.has(t.macaroon);
      const other = offer.terms.request === undefined ? (await held(key)).find((t) => untried(t) && fits(t, offer)) : undefined;
      if (other !== undefined) {
        token = other;
      } else {
        // Still refused after paying: the caller gets this answer, body and all.
        if (paid) break;
        const buying = buy(key, offer, request.url, untried, request.signal);
        // One bound to this request, paid after its caller left, is kept for the request's next call, as a charge is.
        if (offer.terms.request !== undefined) buying.then((bought) => request.signal.aborted && unsent.keep(identity, l402Credential(bought), offer.expiresAt), () => undefined);
        token = await untilAborted(buying, request.signal);
        paid = true;
        if (tried.has(token.macaroon)) break;
      }
      await response.body?.cancel();
      sent = offer.terms.request === undefined ? await send(l402(token)) : await sendCharge(l402Credential(token), offer.expiresAt);
    }
    await noteBalance(key, token, sent);
    return sent.response;
  };
}

/** Rounds of 402s one request goes through at most. */
const MAX_ROUNDS = 8;

const authorization = (value: string): Credential => ({ header: "Authorization", value });
const l402Credential = (token: StoredToken): Credential => authorization(`L402 ${token.macaroon}:${token.preimage}`);
type Send = (credential: Credential) => Promise<Sent>;

/**
 * Whether the answer to a top-up token says its credit was applied: the
 * paywall reports the balance (`X-L402-Balance`) only where it reached it,
 * credit and all (a pass, a 402 for a balance still short, `topup_spent`,
 * the origin's failure). Any other answer (a path of another service or of
 * none, a malformed request, the balance store unreachable) leaves the top-up
 * pending: sent again, it meets `topup_spent` at worst.
 */
const credited = (sent: Sent, key: string): boolean => reportedBalance(sent, key) !== undefined;

/** The balance (msat) an answer from the origin asked (`key`) reports in `X-L402-Balance`, if it reports one. */
function reportedBalance({ response, from }: Sent, key: string): string | undefined {
  const balance = response.headers.get("x-l402-balance")?.trim();
  return from === key && balance !== undefined && /^\d{1,19}$/.test(balance) ? balance : undefined;
}

/** Refusals of one request that leave its token good for others. */
const REFUSED_THIS_REQUEST: ReadonlySet<string> = new Set(["price_exceeds_token", "capability_denied"]);

/** A token whose pending top-up has been answered: counted, no longer pending. */
function answeredTopUp({ pendingTopUp: _answered, ...token }: StoredToken): StoredToken {
  return { ...token, topUps: (token.topUps ?? 0) + 1 };
}

function withHeader(request: Request, name: string, value: string): Request {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return new Request(request, { headers });
}
