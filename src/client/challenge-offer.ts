import { parseChallenge } from "../l402/index.ts";
import { readInvoice } from "../lightning/index.ts";
import { CHARGE, LIGHTNING, parsePaymentChallenges, readChargeRequest, type PaymentChallenge } from "../payment/index.ts";
import { BTC, lightningEntry, PAYMENT_REQUIRED_HEADER, readPaymentRequired, X402_VERSION, type PaymentRequirements } from "../x402/index.ts";
import { readAtMost } from "../read-at-most.ts";
import { storedTokenTerms, tokenTerms, type TokenTerms } from "./token-terms.ts";
import { L402Error, type StoredToken } from "./types.ts";

/** The schemes a client can pay: L402 (a reusable token), the Payment scheme's lightning charge and x402's Lightning entry (one request each). */
export type Scheme = "l402" | "payment" | "x402";

/** A 402 challenge read and checked: what paying it would buy, and for how much. */
interface OfferBase {
  readonly invoice: string;
  readonly priceMsat: bigint;
  /** Services named by the L402 token; a Payment charge or an x402 entry names none. */
  readonly services: readonly string[];
  readonly paymentHash: string;
  /** When the invoice expires, in Unix seconds: no server takes its payment after. */
  readonly expiresAt: number;
}
/**
 * An L402 offer's `terms`: what its token says (a price per request, a request, a credit, the token it tops up).
 * An x402 offer's `accepted`: the entry chosen, echoed as it came when paid.
 */
export type Offer =
  | (OfferBase & { readonly scheme: "l402"; readonly macaroon: Uint8Array; readonly terms: TokenTerms })
  | (OfferBase & { readonly scheme: "payment"; readonly challenge: PaymentChallenge })
  | (OfferBase & { readonly scheme: "x402"; readonly accepted: PaymentRequirements });

/** A 402, or the gRPC form of one (HTTP 200, grpc-status 13, with the challenge headers). */
export const isChallenge = (response: Response): boolean =>
  response.status === 402 || (response.headers.get("grpc-status") === "13" && response.headers.has("www-authenticate"));

const ALL: ReadonlySet<Scheme> = new Set(["l402", "payment", "x402"]);
const NAMES: Readonly<Record<Scheme, string>> = { l402: "L402", payment: "Payment (lightning charge)", x402: "x402 (Lightning entry)" };

/**
 * Reads the challenge the client would pay, L402 first when it may (a token is
 * reused; a charge or an x402 payment buys one request), then the Payment
 * scheme's charge, then x402's Lightning entry (`PAYMENT-REQUIRED`), and
 * refuses one that cannot be paid safely: an invoice without an amount, a
 * macaroon not bound to the invoice's payment hash, a Payment request or an
 * x402 entry whose amount or hash is not the invoice's (paying would buy nothing).
 */
export function readOffer(response: Response, schemes: ReadonlySet<Scheme> = ALL): Offer {
  const header = response.headers.get("www-authenticate") ?? "";
  const parsed = parseChallenge(header);
  if (schemes.has("l402") && parsed.ok) return l402Offer(parsed.value.macaroon, parsed.value.invoice);
  const charge = schemes.has("payment") ? parsePaymentChallenges(header).find((c) => c.method === LIGHTNING && c.intent === CHARGE) : undefined;
  if (charge !== undefined) return paymentOffer(charge);
  const required = schemes.has("x402") ? response.headers.get(PAYMENT_REQUIRED_HEADER) : null;
  if (required !== null) {
    const offer = x402Offer(required);
    if (offer !== undefined) return offer;
  }
  const names = [...schemes].map((scheme) => NAMES[scheme]);
  const wanted = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1) ?? ""}` : names.join("");
  throw new L402Error("bad_challenge", `the server's 402 has no usable ${wanted} challenge${parsed.ok ? "" : `: ${parsed.detail}`}`);
}

function amountOf(invoice: string): { readonly amountMsat: bigint; readonly paymentHash: string; readonly expiresAt: number } {
  const read = readInvoice(invoice);
  if (!read.ok) throw new L402Error("bad_challenge", `the challenge's ${read.detail.replace(/^the /, "")}`);
  const { amountMsat, paymentHash, timestamp, expirySeconds } = read.value;
  if (amountMsat === undefined) throw new L402Error("bad_challenge", "the challenge's invoice has no amount");
  // A node whose clock is ahead of ours stamps the future: it ends the invoice its expiry after that stamp by its own clock, after now by ours.
  return { amountMsat, paymentHash, expiresAt: Math.min(timestamp, Math.floor(Date.now() / 1000)) + expirySeconds };
}

function l402Offer(macaroon: Uint8Array, invoice: string): Offer {
  const { amountMsat, paymentHash, expiresAt } = amountOf(invoice);
  const terms = tokenTerms(macaroon);
  if (terms?.paymentHash !== paymentHash) throw new L402Error("bad_challenge", "the challenge's macaroon is not bound to its invoice");
  return { scheme: "l402", macaroon, invoice, priceMsat: amountMsat, services: terms.services, paymentHash, expiresAt, terms };
}

function paymentOffer(challenge: PaymentChallenge): Offer {
  const request = readChargeRequest(challenge.request);
  if (!request.ok) throw new L402Error("bad_challenge", `the Payment challenge's ${request.detail.replace(/^the challenge's /, "")}`);
  const { invoice, paymentHash } = request.value.methodDetails;
  if (!/^[1-9]\d{0,15}$/.test(request.value.amount)) throw new L402Error("bad_challenge", "the Payment challenge's amount is not a whole number of sats");
  const decoded = amountOf(invoice);
  // The invoice is authoritative; the request's convenience fields must agree with it (draft-lightning-charge §7.2).
  if (decoded.paymentHash !== paymentHash || decoded.amountMsat !== BigInt(request.value.amount) * 1000n) {
    throw new L402Error("bad_challenge", "the Payment challenge's amount or payment hash is not its invoice's");
  }
  if (challenge.expires !== undefined && !(Date.parse(challenge.expires) > Date.now())) throw new L402Error("bad_challenge", "the Payment challenge has expired");
  // The server takes the charge until the challenge's `expires`: a credential is not kept past it, whatever the invoice says.
  const expiresAt = challenge.expires === undefined ? decoded.expiresAt : Math.min(decoded.expiresAt, Math.floor(Date.parse(challenge.expires) / 1000));
  return { scheme: "payment", challenge, invoice, priceMsat: decoded.amountMsat, services: [], paymentHash, expiresAt };
}

/** x402's Lightning entry, checked against its invoice; undefined where `accepts` has none (another network's entries only). */
function x402Offer(header: string): Offer | undefined {
  const required = readPaymentRequired(header);
  if (!required.ok) throw new L402Error("bad_challenge", `the server's ${required.detail}`);
  if (required.value.x402Version !== X402_VERSION) throw new L402Error("bad_challenge", `the server's ${PAYMENT_REQUIRED_HEADER} is x402 version ${required.value.x402Version}; this client pays version ${X402_VERSION}`);
  const accepted = lightningEntry(required.value.accepts);
  if (accepted === undefined) return undefined;
  const decoded = amountOf(accepted.extra.invoice);
  // The invoice is what is paid; the entry's amount (msat of BTC) and hash must agree with it, or the payment buys something else.
  const hash = accepted.extra["paymentHash"];
  if (accepted.asset !== BTC || accepted.amount !== String(decoded.amountMsat) || (hash !== undefined && hash !== decoded.paymentHash)) {
    throw new L402Error("bad_challenge", "the x402 entry's amount is not its invoice's (or its asset is not BTC, or its payment hash another invoice's)");
  }
  return { scheme: "x402", accepted, invoice: accepted.extra.invoice, priceMsat: decoded.amountMsat, services: [], paymentHash: decoded.paymentHash, expiresAt: decoded.expiresAt };
}

/** The most of a 402's body read for its reason: a paywall's JSON is a few hundred bytes. */
const MAX_REFUSAL_BYTES = 64 * 1024;
/** How long a 402's body is waited for, for its reason: a server that sends its headers and stalls its body must not hold the request for ever. */
export const REFUSAL_WAIT_MS = 10_000;

/**
 * Why a 402 refused the credential sent, as its JSON body says (`reason`, e.g.
 * `price_exceeds_token`); undefined where it says nothing readable (a gRPC
 * 402 has no body), or not within `waitMs`. Read from a copy, so the
 * answer stays whole for the caller.
 */
export async function refusalReason(response: Response, waitMs = REFUSAL_WAIT_MS): Promise<string | undefined> {
  if (!/\bjson\b/i.test(response.headers.get("content-type") ?? "") || response.body === null) return undefined;
  const { bytes, truncated } = await readAtMost(response.clone().body, MAX_REFUSAL_BYTES, AbortSignal.timeout(waitMs));
  if (truncated) return undefined;
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const reason = typeof body === "object" && body !== null ? (body as { reason?: unknown }).reason : undefined;
    return typeof reason === "string" ? reason : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a token held may answer an offer: one for a service it sells, that covers its price. */
export function fits(token: StoredToken, offer: Offer & { scheme: "l402" }): boolean {
  return token.services.some((s) => offer.services.includes(s)) && mayCover(token, offer.terms.priceMsat);
}

/** Whether a token held may pay for a request priced `priceMsat`: one that says what it paid per request must have paid at least that. */
function mayCover(token: StoredToken, priceMsat: bigint | undefined): boolean {
  const paidFor = priceMsat === undefined ? undefined : storedTokenTerms(token.macaroon)?.priceMsat;
  return paidFor === undefined || priceMsat === undefined || paidFor >= priceMsat;
}
