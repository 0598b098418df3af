export { decodeBase64Url, encodeBase64Url } from "./base64url.ts";
export { challengeId, challengeIdInput, formatPaymentChallenge, parsePaymentChallenges, type PaymentChallenge } from "./challenge.ts";
export { formatPaymentCredential, parsePaymentCredential, type PaymentCredential } from "./credential.ts";
export { canonicalJson, hasCanonicalForm } from "./jcs.ts";
export { CHARGE, chargePreimage, formatChargeRequest, LIGHTNING, readChargeRequest, type LightningChargeRequest } from "./lightning-charge.ts";
export { PROBLEMS, type Problem } from "./problem.ts";
export { formatReceipt, readReceipt, RECEIPT_HEADER, type PaymentReceipt } from "./receipt.ts";
