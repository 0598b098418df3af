import { constantTimeEqual, toBase64, toBase64Url, toHex, utf8 } from "../../bytes.ts";
import { chargeTermsOf, type ServiceConfig } from "../../config/index.ts";
import type { Keyring } from "../../l402/index.ts";
import { invoiceNetwork, readInvoice } from "../../lightning/index.ts";
import { canonicalJson, hasCanonicalForm } from "../../payment/index.ts";
import { fail, succeed, type Result } from "../../result.ts";
import {
  ANONYMOUS_PAYEE,
  BIP122_NETWORKS,
  BTC,
  encodeHeaderJson,
  EXACT,
  LIGHTNING_METHOD,
  lightningPreimage,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  readPaymentPayload,
  UPFRONT,
  X402_VERSION,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
} from "../../x402/index.ts";
import type { ChallengeParts } from "../challenge-parts.ts";
import type { HeaderReader } from "../request.ts";
import { derivedKeys } from "./derived-keys.ts";
import { namesHosts } from "./payment.ts";
import { PAID_GRACE_SECONDS, type Completion, type CompletionContext, type PaymentScheme, type Reading, type SchemeContext } from "./scheme.ts";

/**
 * x402 version 2 with a Lightning entry (`schemes = ["x402"]`): beside the
 * other challenges, a 402 carries `PAYMENT-REQUIRED` with one `exact` entry
 * over the invoice every scheme shares, and `PAYMENT-SIGNATURE` pays it once.
 *
 * The entry names the token minted over that invoice (`extra.macaroon`, the
 * L402 challenge's) and is tagged with an HMAC (`extra.id`) under a key
 * derived from each master key, over every field and the host: clients echo
 * the entry they chose (`accepted`), and the paywall knows it for its own
 * without storing it, as the Payment scheme knows its challenge ids. The
 * payment is that token and the invoice's preimage: verified as L402 is, and
 * single use through the spent-charges port until the invoice expired (and a
 * minute more: a payment made as it expired still buys its request, as #2861
 * allows).
 *
 * The proof is `payload.preimage` (#2861, Alby's x402 mechanism); Alby's
 * `fetch402` sends the invoice only (`payload.invoice`), and then the node,
 * asked whether it was paid, supplies the preimage before the decision
 * (`complete`). Which fields are settled and which provisional: README,
 * "x402 with Lightning".
 */
export const x402Scheme: PaymentScheme = {
  name: "x402",
  label: "x402",
  credentialHeaders: ["payment-signature"],
  authorizations: [],
  carriesElsewhere: (headers) => headers.get(PAYMENT_SIGNATURE_HEADER) !== null,
  complete: completeFromNode,
  claimsByInvoice: true,
  read: readPayment,
  challenge: (parts, { request, service, keyring }) => {
    const required = paymentRequired(keyring, service, parts, { url: request.url, now: request.now });
    // An `error` for clients that show one; why a payment was refused is in the 402's body (reason, detail).
    const error = request.headers.get(PAYMENT_SIGNATURE_HEADER) === null ? "Payment required" : "Payment refused: see the reason in the response body";
    return { wwwAuthenticate: [], headers: { [PAYMENT_REQUIRED_HEADER]: encodeHeaderJson({ ...required, error }) } };
  },
};

const tagKeys = (keyring: Keyring): readonly Uint8Array[] => derivedKeys(keyring, "l402-edge/x402-requirements/v1");

/** The `PAYMENT-REQUIRED` object for one issued invoice and its token. */
function paymentRequired(keyring: Keyring, service: ServiceConfig, parts: ChallengeParts, at: { readonly url: URL; readonly now: number }): PaymentRequired {
  const decoded = readInvoice(parts.invoice);
  // Never past the invoice's own expiry: the node may stamp it a second after `now`.
  const left = parts.expiresAt - at.now;
  const untagged: PaymentRequirements = {
    scheme: EXACT,
    network: BIP122_NETWORKS[invoiceNetwork(parts.invoice) ?? "mainnet"],
    asset: BTC,
    amount: String(parts.amountMsat),
    payTo: ANONYMOUS_PAYEE,
    maxTimeoutSeconds: Math.max(1, decoded.ok ? Math.min(left, decoded.value.expirySeconds) : left),
    extra: { paymentMethod: LIGHTNING_METHOD, invoice: parts.invoice, paymentFlow: UPFRONT, paymentHash: parts.paymentHash, macaroon: toBase64(parts.macaroon), expiresAt: parts.expiresAt },
  };
  const id = tag(tagKeys(keyring)[0] as Uint8Array, keyring, bindingHost(service, at.url), untagged);
  return { x402Version: X402_VERSION, resource: { url: at.url.href, description: service.description ?? chargeTermsOf(service) }, accepts: [{ ...untagged, extra: { ...untagged.extra, id } }] };
}

/** The host an entry is tagged for: the request's, where the service names its hosts (each issues its own); else any. */
const bindingHost = (service: ServiceConfig, url: URL): string => (namesHosts(service) ? url.hostname : "");

function tag(key: Uint8Array, keyring: Keyring, host: string, requirements: PaymentRequirements): string {
  return toBase64Url(keyring.mac(key, utf8(canonicalJson({ host, requirements }))));
}

/** What an entry this paywall tagged says. */
interface Issued {
  readonly paymentHash: string;
  readonly invoice: string;
  readonly macaroon: string;
  readonly expiresAt: number;
  readonly network: string;
}

/**
 * The payment in `PAYMENT-SIGNATURE`, if its entry is one this paywall issued,
 * unaltered, for this host; the invoice it may name must be that entry's.
 */
function ourPayment(keyring: Keyring, service: ServiceConfig, request: { readonly headers: HeaderReader; readonly url: URL }): Result<{ readonly payment: PaymentPayload; readonly issued: Issued }> {
  const payment = readPaymentPayload(request.headers.get(PAYMENT_SIGNATURE_HEADER) ?? "");
  if (!payment.ok) return payment;
  if (payment.value.x402Version !== X402_VERSION) return fail("malformed", `this paywall takes x402 version ${X402_VERSION} payments`);
  const { accepted, payload } = payment.value;
  const { id, ...extra } = accepted.extra;
  if (accepted.scheme !== EXACT || extra["paymentMethod"] !== LIGHTNING_METHOD) return fail("method_unsupported", "this paywall takes x402's exact scheme over Lightning only");
  const host = bindingHost(service, request.url);
  const untagged = { ...accepted, extra };
  // Requirements with no canonical form were never tagged here (and cannot be: JCS refuses them).
  const known = typeof id === "string" && hasCanonicalForm(untagged) && tagKeys(keyring).some((key) => constantTimeEqual(utf8(id), utf8(tag(key, keyring, host, untagged))));
  const { paymentHash, invoice, macaroon, expiresAt } = extra;
  if (!known || typeof paymentHash !== "string" || typeof invoice !== "string" || typeof macaroon !== "string" || typeof expiresAt !== "number") {
    return fail("unknown_challenge", "the accepted requirements were not issued by this paywall (for this host), or were altered");
  }
  if (payload["invoice"] !== undefined && payload["invoice"] !== invoice) return fail("malformed", "payload.invoice is not the invoice of the accepted requirements");
  return succeed({ payment: payment.value, issued: { paymentHash, invoice, macaroon, expiresAt, network: accepted.network } });
}

/** A payment naming its invoice only: the node, asked whether that invoice was paid, supplies the preimage. Any other request as it came. */
async function completeFromNode({ request, service, keyring, invoices }: CompletionContext): Promise<Completion> {
  const ours = ourPayment(keyring, service, request);
  if (!ours.ok || lightningPreimage(ours.value.payment.payload) !== undefined) return succeed(request.headers);
  const { payment, issued } = ours.value;
  // Past taking (`read` refuses it): the node is not asked, however often an old entry is sent.
  if (request.now >= issued.expiresAt + PAID_GRACE_SECONDS) return succeed(request.headers);
  const answer = await invoices.preimageOf(issued.paymentHash);
  if (answer.state === "unavailable") return { ...fail(answer.reason, answer.detail), retryAfterSeconds: answer.retryAfterSeconds };
  // Unpaid: `read` refuses it, and the 402 offers the invoice again.
  if (answer.state === "unsettled") return succeed(request.headers);
  const completed = encodeHeaderJson({ ...payment, payload: { ...payment.payload, preimage: toHex(answer.preimage) } });
  const { headers } = request;
  return succeed({ get: (name) => (name.toLowerCase() === "payment-signature" ? completed : headers.get(name)), keys: () => headers.keys() });
}

/**
 * The payment verified with nothing but the keyring: our entry (its tag), its
 * token and preimage as L402 verifies them (service, capabilities, expiry),
 * and not past its invoice's expiry and grace. Single use is the paywall's
 * (the spent-charges port, last of all checks).
 */
function readPayment({ request, service, capabilities, keyring, verifier }: SchemeContext): Reading {
  const ours = ourPayment(keyring, service, request);
  if (!ours.ok) return ours;
  const { payment, issued } = ours.value;
  const preimage = lightningPreimage(payment.payload);
  if (preimage === undefined) {
    if (!service.schemes.includes(x402Scheme.name)) return fail("scheme_not_offered", "this service does not take the x402 scheme: pay one of its challenges");
    if (request.now >= issued.expiresAt + PAID_GRACE_SECONDS) return fail("expired", "the payment's invoice has expired; pay a fresh one");
    return fail("unpaid", "the payment's invoice is not paid: pay it and send the payment again, or send payload.preimage");
  }
  const verified = verifier.verify({ authorization: `L402 ${issued.macaroon}:${preimage}`, macaroon: null, grpcMetadataMacaroon: null }, { service: service.name, now: request.now, capabilities });
  if (!verified.ok) return verified;
  const { paidHash } = verified;
  const until = Math.min(issued.expiresAt + PAID_GRACE_SECONDS, verified.value.grant.validUntil ?? Number.POSITIVE_INFINITY);
  if (request.now >= until) return { ...fail("expired", "the payment's invoice has expired; pay a fresh one"), paidHash };
  const receipt = encodeHeaderJson({ success: true, transaction: issued.paymentHash, network: issued.network });
  const token = { ...verified.value, grant: { ...verified.value.grant, validUntil: until } };
  return { ...succeed({ token, singleUseUntil: until, receipt: { [PAYMENT_RESPONSE_HEADER]: receipt } }), paidHash };
}
