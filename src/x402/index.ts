export {
  encodeHeaderJson,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  readPaymentPayload,
  readPaymentRequired,
  X402_VERSION,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
  type ResourceInfo,
  type SettleResponse,
} from "./headers.ts";
export { ANONYMOUS_PAYEE, BIP122_NETWORKS, BTC, EXACT, LIGHTNING_METHOD, lightningEntry, lightningPreimage, UPFRONT } from "./lightning.ts";
