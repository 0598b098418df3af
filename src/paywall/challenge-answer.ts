import { base64urlnopad } from "@scure/base";
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import type { FiatRate, ServiceConfig } from "../config/index.ts";
import { formatChallenge, formatSats, toBase64, type Failure, type Keyring } from "../l402/index.ts";
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type Problem } from "../payment/index.ts";
import { answer } from "./answer.ts";
import type { ChallengeParts } from "./challenge-parts.ts";
import { fiatEstimate } from "./fiat-estimate.ts";
import { challengePage, pagePolicy } from "./page.ts";
import { paymentChallenge } from "./payment-scheme.ts";
import { termsOf } from "./terms.ts";

/** A browser asking for a page (HTML first in Accept, no request body): it gets the 402 page. */
export const wantsPage = (c: Context): boolean =>
  c.req.header("content-type") === undefined && accepts(c, { header: "Accept", supports: ["application/json", "text/html"], default: "application/json" }) === "text/html";

export interface ChallengeAnswerOptions {
  readonly service: ServiceConfig;
  readonly failure: Failure<string>;
  readonly parts: ChallengeParts;
  /** A page without an invoice of its own yet (browser/page-challenge.ts): the challenges stay the client's shared ones. */
  readonly probe?: { readonly returned: boolean } | undefined;
  /** The page's estimate of the price in a currency; undefined: none. */
  readonly fiatRate: FiatRate | undefined;
  /** Signs the Payment challenge's id (payment-scheme.ts). */
  readonly keyring: Keyring;
  /** The canonical URL: its host is the Payment challenge's realm, and the payee a page names. */
  readonly url: URL;
  /** Unix seconds. */
  readonly now: number;
  readonly invoiceExpirySeconds: number;
}

/**
 * The 402: one challenge per scheme the service offers, all over one invoice
 * (L402 then LSAT, see l402/www-authenticate.ts; then Payment), and a body
 * saying why — JSON, RFC 9457 problem details when the Payment scheme is
 * offered (its clients read them; the L402 fields stay, as extension members),
 * or a page for a browser (interactive on a browser-payments service). gRPC
 * clients get the reference's form (answer.ts).
 */
export function challengeAnswer(c: Context, options: ChallengeAnswerOptions): Response {
  const { service, failure, parts } = options;
  // One header value per challenge; workerd writes them as one line (see www-authenticate.ts), Node as several.
  const challenges = [
    ...(service.schemes.l402 ? formatChallenge(parts.macaroon, parts.invoice) : []),
    ...(service.schemes.payment ? [paymentChallenge(options.keyring, service, parts, options.url.hostname)] : []),
  ];
  const priceSats = formatSats(service.priceMsat);
  const detail = failure.reason === "missing" ? "payment required" : failure.detail;
  if (wantsPage(c)) {
    const nonce = base64urlnopad.encode(crypto.getRandomValues(new Uint8Array(16)));
    const page = challengePage({
      title: service.title ?? service.name,
      description: service.description,
      payee: options.url.host,
      priceSats,
      fiat: options.fiatRate === undefined ? undefined : fiatEstimate(service.priceMsat, options.fiatRate),
      terms: termsOf(service),
      detail: failure.reason === "missing" ? undefined : failure.detail,
      browserPayments: service.browser,
      nonce,
      offer:
        options.probe === undefined
          ? {
              kind: "invoice",
              invoice: parts.invoice,
              paymentHash: parts.paymentHash,
              macaroon: toBase64(parts.macaroon),
              // The node stamps the invoice a moment after `now`, maybe in the next second: never more than its expiry.
              expiresInSeconds: Math.max(0, Math.min(parts.expiresAt - options.now, options.invoiceExpirySeconds)),
            }
          : { kind: "probe", returned: options.probe.returned },
    });
    return c.html(page, 402, {
      "WWW-Authenticate": challenges,
      "Cache-Control": "no-store",
      "Content-Security-Policy": pagePolicy(nonce),
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
  }
  const members = {
    reason: failure.reason,
    detail,
    service: service.name,
    price_sats: Number(priceSats),
    price_msat: String(service.priceMsat),
    invoice: parts.invoice,
    // The macaroon only where L402 is offered: elsewhere it stays the paywall's own bookkeeping.
    ...(service.schemes.l402 ? { macaroon: toBase64(parts.macaroon) } : {}),
    payment_hash: parts.paymentHash,
    expires_at: parts.expiresAt,
  };
  if (!service.schemes.payment) return answer(c, 402, members, { "WWW-Authenticate": challenges });
  const problem = problemFor(failure.reason);
  return answer(c, 402, { type: problem.type, title: problem.title, status: 402, ...members }, { "WWW-Authenticate": challenges, "Content-Type": PROBLEM_CONTENT_TYPE });
}

/**
 * The problem type of a refusal (draft-httpauth-payment §8, draft-lightning-charge
 * §errors). Every refusal is a 402 with fresh challenges, never a 401, where
 * drafts have differed: the core draft keeps 401 for authentication unrelated
 * to payment, the cure for a refused charge is paying another (which the 402
 * carries), an L402 client of the same service gets a 402 for a refused token,
 * and clients that know only "402 → pay" (lnget, Alby) recover without a
 * special case.
 */
function problemFor(reason: string): Problem {
  switch (reason) {
    case "missing":
      return PROBLEMS.paymentRequired;
    case "malformed":
      return PROBLEMS.malformedCredential;
    case "method_unsupported":
      return PROBLEMS.methodUnsupported;
    case "unknown_challenge":
      return PROBLEMS.unknownChallenge;
    // Ours and genuine, but not good here: already used (draft-httpauth-payment-02's table), another service's, another host's.
    case "spent":
    case "service_mismatch":
    case "realm_mismatch":
      return PROBLEMS.invalidChallenge;
    case "wrong_preimage":
      return PROBLEMS.invalidPreimage;
    case "expired":
      return PROBLEMS.expiredInvoice;
    default:
      return PROBLEMS.verificationFailed;
  }
}

