import type { ServiceConfig } from "../../config/index.ts";
import type { Keyring, VerifiedToken, Verifier } from "../../l402/index.ts";
import type { Failure, Result, Success } from "../../result.ts";
import type { ChallengeParts } from "../challenge-parts.ts";
import type { HeaderReader, PaywallRequest, RequestHeaders } from "../request.ts";

/**
 * A way to pay, as the paywall sees it (docs/schemes.md): how a request
 * carries its credential, how that credential becomes a verified grant, and
 * how the scheme writes its challenge over the one invoice a 402 issues. Like
 * Aperture's `Authenticator`: `decide` asks the schemes; it knows none of
 * them. Every scheme presents the same thing in the end, the paid token the
 * invoice was minted for, so metering, revocation and the ledger treat all
 * schemes alike.
 */
export interface PaymentScheme {
  /** How services list it (`schemes = ["l402", "mpp"]`). */
  readonly name: string;
  /** How the app and the logs name it (`c.var.l402.scheme`). */
  readonly label: string;
  /** The request headers its credentials travel in: each is refused over 8 KiB, before anything is parsed (431). */
  readonly credentialHeaders: readonly string[];
  /** The `Authorization` schemes (case-insensitive) that carry its credentials: the one a request names picks the scheme that reads it. */
  readonly authorizations: readonly string[];
  /** Whether a request whose `Authorization` names no scheme's carries this scheme's credential in another header (L402's `Macaroon`). */
  carriesElsewhere?(headers: HeaderReader): boolean;
  /**
   * Optional: what a credential needs from outside before `read` can verify it
   * with no I/O, fetched once before the decision (complete-credential.ts). An
   * x402 payment may name its invoice and not its preimage (Alby's fetch402):
   * the node, asked whether that invoice was paid, supplies the preimage. The
   * headers `read` is then given, or why the request cannot be decided now (503).
   */
  complete?(context: CompletionContext): Promise<Completion>;
  /**
   * Whether whoever holds a challenge's invoice may claim its payment (x402's
   * invoice-only payment: `complete` asks the node, not the payer, for the
   * proof). A service offering such a scheme never hands one invoice to two
   * answers: the challenge cache and the shared misses, which give a client
   * (an address and user agent, which others may share) its recent invoice,
   * are skipped, else another behind the same address could claim a payment
   * it did not make.
   */
  readonly claimsByInvoice?: boolean;
  /** The credential, verified for this request with no I/O: the token it proves paid, or why not. */
  read(context: SchemeContext): Reading;
  /** The scheme's challenge for one issued invoice. */
  challenge(parts: ChallengeParts, context: ChallengeContext): WrittenChallenge;
  /** The RFC 9457 problem type of a refusal, where the scheme's clients read problem details; absent: plain JSON. */
  problem?(reason: string): Problem;
}

/** What every scheme may use: the paywall's keyring, and its verifier of L402 tokens (credentials proven once are not proven again). */
export interface SchemeTools {
  readonly keyring: Keyring;
  readonly verifier: Verifier;
}

export interface SchemeContext extends SchemeTools {
  readonly request: PaywallRequest;
  readonly service: ServiceConfig;
  /** What this request needs of the token (match.ts: the service's capability rules, every claimed method). */
  readonly capabilities: readonly string[];
}

export interface CompletionContext {
  readonly request: PaywallRequest;
  /** A service that offers the scheme. */
  readonly service: ServiceConfig;
  readonly keyring: Keyring;
  readonly invoices: SettledInvoices;
}

/** The node, asked about invoices this paywall issued (settled-invoices.ts). */
export interface SettledInvoices {
  /** Whether the invoice of this payment hash (hex) is settled, and its preimage if so; or why the node cannot be asked now. */
  preimageOf(paymentHash: string): Promise<InvoiceAnswer>;
}

export type InvoiceAnswer =
  | { readonly state: "settled"; readonly preimage: Uint8Array }
  | { readonly state: "unsettled" }
  | { readonly state: "unavailable"; readonly reason: string; readonly detail: string; readonly retryAfterSeconds: number };

/** The request's headers as `read` is to see them, or why nothing can be decided now. */
export type Completion = Success<RequestHeaders> | (Failure & { readonly retryAfterSeconds: number });

export interface ChallengeContext extends SchemeTools {
  readonly request: PaywallRequest;
  readonly service: ServiceConfig;
}

/** A verified credential: the token it names, and how it is used up. */
export interface Presented {
  readonly token: VerifiedToken;
  /**
   * A credential good for one request (a charge): spent through the
   * spent-charges port, remembered until this time (unix s). Absent: reusable
   * while its token is valid (and, on a metered service, has uses left).
   */
  readonly singleUseUntil?: number;
  /** Headers for the answer when the app answered it successfully (Payment-Receipt). */
  readonly receipt?: Readonly<Record<string, string>>;
}

/**
 * A scheme's reading: the presented token, or why not. `paidHash`, when the
 * credential held a preimage: sha256 of it, proof that its invoice was paid
 * even when the credential is refused (the client's cached challenge for that
 * invoice is then dropped, not offered again).
 */
export type Reading = Result<Presented> & { readonly paidHash?: Uint8Array | undefined };

/** A challenge as its scheme writes it. */
export interface WrittenChallenge {
  /** `WWW-Authenticate` values, in order. */
  readonly wwwAuthenticate: readonly string[];
  /** Other headers the scheme's clients read. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Members of the 402's JSON body the scheme's clients read. */
  readonly members?: Readonly<Record<string, unknown>>;
}

/** An RFC 9457 problem type. */
export interface Problem {
  readonly type: string;
  readonly title: string;
}

/**
 * Seconds past its invoice's expiry that a paid one-request payment (a
 * Payment charge, an x402 payment) is still taken: a wallet that paid just
 * before the invoice expired sends it a moment after (x402 #2861's skew). A
 * node settles no payment after the invoice's expiry, so a preimage shown in
 * the grace was paid in time.
 */
export const PAID_GRACE_SECONDS = 60;
