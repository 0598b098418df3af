import type { BalanceConfig, ServiceConfig } from "../config/index.ts";
import type { Failure } from "../result.ts";
import type { ChallengeParts } from "./challenge-parts.ts";
import type { Offer, TopUpTarget } from "./offer.ts";
import type { WrittenChallenge } from "./schemes/scheme.ts";
import type { L402Access, L402Outcome, L402Route } from "./types.ts";

/**
 * What the paywall decided about a request (decide.ts), as plain data: the
 * adapters act on it (let the request through, or render it: respond.ts), and
 * log it once, from its `outcome`.
 */
export type Decision = Pass | Challenge | Refusal | Unavailable;

/** Let through: to the app (middleware), the handler (fetch adapter) or the origin (template Worker). */
export interface Pass {
  readonly kind: "pass";
  readonly route: L402Route;
  /** What a paid request bought (`c.var.l402`). */
  readonly access?: L402Access;
  /**
   * A paid or free-allowance answer is for this client alone (passed.ts, privateAnswer);
   * `byCookie`: the credential came in a cookie. Absent: free traffic, the origin's answer as it is.
   */
  readonly private?: { readonly byCookie: boolean };
  /** Headers for the answer: always, and only when the app answered successfully (a scheme's receipt). */
  readonly headers: { readonly always: Readonly<Record<string, string>>; readonly onSuccess: Readonly<Record<string, string>> };
  readonly cookies: readonly CookieChange[];
  readonly outcome: L402Outcome;
  /** A balance service's request: what it reserved, settled once it is answered (settle.ts). */
  readonly charge?: Charge;
  /** A service in shadow: what enforcing would have reserved, from shadow's balance (shadow.ts), settled there once answered; the answer is left as it is. */
  readonly shadowCharge?: Charge;
  /** A service in shadow: the token whose use enforcing would have taken from shadow's count, given back there if the answer is not charged. */
  readonly shadowUse?: string;
}

/**
 * A request let through on a balance: its cost is reserved (taken out of the
 * balance); once answered, its actual cost is known and the rest released.
 */
export interface Charge {
  /** Hex id of the token whose balance pays (a top-up's target, when a top-up token was sent). */
  readonly tokenId: string;
  readonly reservedMsat: bigint;
  /** What the request costs when nothing reports its cost (a cost header, the app, a metered stream). */
  readonly priceMsat: bigint;
  /** The balance once the reservation was taken. */
  readonly balanceMsat: bigint;
  readonly balance: BalanceConfig;
  /** The token's expiry and capabilities, which a top-up offered when a stream runs dry keeps. */
  readonly validUntil: number | undefined;
  readonly capabilities: readonly string[] | undefined;
}

/**
 * Why a credential was refused, and what a 402 for it says beyond the reason:
 * members of its body (`facts`), the balance it found, the top-up it offers
 * (or what a new token's credit should cover).
 */
export type Refused = Failure & {
  readonly facts?: Readonly<Record<string, string>>;
  readonly balanceMsat?: bigint;
  readonly topup?: TopUpTarget;
  /** What a new token's credit should cover, where one is sold instead of a top-up (reserve-balance.ts). */
  readonly needsMsat?: bigint;
};

/** 402: pay this. Every scheme the service offers has written its challenge over the one invoice. */
export interface Challenge {
  readonly kind: "challenge";
  readonly service: ServiceConfig;
  /** Why: `missing`, or why the credential presented was refused. */
  readonly failure: Refused;
  /** What the request costs, and what the invoice sells (offer.ts). */
  readonly priceMsat: bigint;
  readonly offer: Offer;
  readonly parts: ChallengeParts;
  readonly written: readonly WrittenChallenge[];
  /** The schemes' problem type for this refusal, where one wants RFC 9457 problem details. */
  readonly problem: { readonly type: string; readonly title: string } | undefined;
  /**
   * A browser's page without an invoice of its own yet (browser/page-challenge.ts):
   * the challenges are the client's shared ones; `returned`: it sent its probe back.
   */
  readonly probe?: { readonly returned: boolean };
  readonly cookies: readonly CookieChange[];
  readonly outcome: L402Outcome;
}

/**
 * The 402 a request would get, not issued: what a service in shadow mode
 * (shadow.ts) learns of an unpaid request. The price is worked out as for a
 * challenge; no invoice is made, no token minted, the node is not called.
 */
export interface Withheld {
  readonly kind: "withheld";
  readonly service: ServiceConfig;
  /** Why: `missing`, or why the credential presented was refused. */
  readonly failure: Refused;
  /** What the invoice would ask (offer.ts): the request's price, or on a balance service the credit sold. */
  readonly amountMsat: bigint;
  readonly cookies: readonly CookieChange[];
  readonly outcome: L402Outcome;
}

/** A 4xx (or 500) without a challenge: the request cannot be paid for as it is. */
export interface Refusal {
  readonly kind: "refuse";
  readonly status: 400 | 403 | 404 | 413 | 429 | 431 | 500;
  readonly reason: string;
  readonly detail: string;
  readonly retryAfterSeconds?: number;
  readonly cookies: readonly CookieChange[];
  readonly outcome: L402Outcome;
}

/** 503: the node or a port cannot answer right now; retry after a while. Nothing is let through. */
export interface Unavailable {
  readonly kind: "unavailable";
  readonly reason: string;
  readonly detail: string;
  readonly retryAfterSeconds: number;
  readonly cookies: readonly CookieChange[];
  readonly outcome: L402Outcome;
}

/**
 * A cookie an answer sets (or, with `maxAgeSeconds` 0, clears): the browser
 * payments' cookies (browser/cookies.ts), HttpOnly and `Path=/` always.
 */
export interface CookieChange {
  readonly name: string;
  readonly value: string;
  readonly maxAgeSeconds: number;
  readonly sameSite: "Lax" | "Strict";
  readonly secure: boolean;
}

/** An answer of the browser payments' own protocol (poll, complete, a redirect): not a decision about access. */
export interface Reply {
  readonly kind: "reply";
  readonly status: 200 | 202 | 303 | 400 | 403 | 503;
  /** JSON, or a page (its CSP nonce with it); undefined: no body (a redirect). */
  readonly body: Readonly<Record<string, unknown>> | { readonly page: string; readonly nonce: string } | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: readonly CookieChange[];
  readonly outcome: L402Outcome;
}

/** What respond.ts renders: a decision, or a reply of the browser payments' protocol. */
export type Answer = Decision | Reply;

/** The answer with more cookie changes (the browser steps' own). */
export const withCookies = <A extends Answer>(answer: A, cookies: readonly CookieChange[]): A => (cookies.length === 0 ? answer : { ...answer, cookies: [...answer.cookies, ...cookies] });
