/**
 * RFC 9457 problem details for the Payment scheme's refusals, typed under
 * https://paymentauth.org/problems/ (core) and …/lightning/ (the method).
 */
const CORE = "https://paymentauth.org/problems/";
const LIGHTNING = `${CORE}lightning/`;

export const PROBLEMS = {
  paymentRequired: { type: `${CORE}payment-required`, title: "Payment Required" },
  methodUnsupported: { type: `${CORE}method-unsupported`, title: "Method Unsupported" },
  verificationFailed: { type: `${CORE}verification-failed`, title: "Verification Failed" },
  invalidChallenge: { type: `${CORE}invalid-challenge`, title: "Invalid Challenge" },
  malformedCredential: { type: `${LIGHTNING}malformed-credential`, title: "Malformed Credential" },
  unknownChallenge: { type: `${LIGHTNING}unknown-challenge`, title: "Unknown Challenge" },
  invalidPreimage: { type: `${LIGHTNING}invalid-preimage`, title: "Invalid Preimage" },
  expiredInvoice: { type: `${LIGHTNING}expired-invoice`, title: "Expired Invoice" },
} as const;

export type Problem = (typeof PROBLEMS)[keyof typeof PROBLEMS];
