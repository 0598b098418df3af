import { createVerifier, type Verifier } from "../l402/index.ts";
import { pollLookups, type PollGate } from "./browser/poll-lookups.ts";
import { firstUseTracker, type FirstUse } from "./first-use.ts";
import { requestPricer, type RequestPricer } from "./pricing.ts";
import { sharedChallenger, type Challenger, type ChallengeNeed, type IssueResult } from "./issue-challenge.ts";
import { l402Scheme } from "./schemes/l402.ts";
import { paymentScheme } from "./schemes/payment.ts";
import type { PaymentScheme, SettledInvoices } from "./schemes/scheme.ts";
import { x402Scheme } from "./schemes/x402.ts";
import { settledInvoices } from "./settled-invoices.ts";
import { succeed } from "../result.ts";
import type { PaywallSettings } from "./settings.ts";

/**
 * One paywall: its settings, the schemes it takes, and the state it keeps in
 * memory (credentials proven once, tokens already let through, challenges
 * being issued). Two paywalls in one isolate share none of it.
 */
export interface Paywall {
  readonly settings: PaywallSettings;
  /** Every scheme this paywall reads, L402 first (the order challenges are written in); a service offers some of them. */
  readonly schemes: readonly PaymentScheme[];
  readonly verifier: Verifier;
  /** The token ids let through before (first-use.ts). */
  readonly firstUse: FirstUse;
  /** What requests cost (pricing.ts): a pricer's answers are kept per paywall. */
  readonly pricer: RequestPricer;
  /** The challenges every client gets (issue-challenge.ts). */
  readonly challenger: Challenger & { mintFresh(need: ChallengeNeed): Promise<IssueResult> };
  /** The node, asked whether invoices this paywall issued were paid (settled-invoices.ts). */
  readonly invoices: SettledInvoices;
  /** Whether a browser's client may have the node asked about an invoice it polls now (browser/poll-lookups.ts). */
  readonly polls: PollGate;
}

/** The schemes every paywall takes; a service lists the ones it offers. */
export const BUILT_IN_SCHEMES: readonly PaymentScheme[] = [l402Scheme, paymentScheme, x402Scheme];

/** Every request at its service's price. */
const servicePrice: RequestPricer = { priceOf: async (service) => succeed(service.priceMsat) };

export function createPaywall(settings: PaywallSettings): Paywall {
  // Per paywall, per keyring: credentials proven once are not proven again (l402/cached-verifier.ts).
  const verifier = createVerifier(settings.keyring);
  // The template Worker's build may leave request pricing out (src/worker/build.ts: it refuses price rules and pricers then),
  // and every service costs its price; the define is read here, where the bundler folds it.
  const pricer = globalThis.L402_BUILD_PRICES === false ? servicePrice : requestPricer();
  // Only x402 asks the node whether an invoice was paid; a build without it (build.ts) leaves the lookups out.
  const invoices = globalThis.L402_BUILD_X402 === false ? noLookups : settledInvoices(settings.backend, settings.ports.lookupLimiter);
  return { settings, schemes: settings.schemes, verifier, firstUse: firstUseTracker(), pricer, challenger: sharedChallenger(settings), invoices, polls: pollLookups() };
}

const noLookups: SettledInvoices = {
  preimageOf: async () => ({ state: "unavailable", reason: "payment_check_busy", detail: "this build does not ask its node about payments", retryAfterSeconds: 1 }),
};
