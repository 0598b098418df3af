export { PAYMENT_CONTEXT_TYPE, type PaymentContextClaims } from "./claims.ts";
export { contextKeysSetting, importContextKeys, JWKS_PATH, type ContextKeys, type ContextKeySpec, type PublicContextJwk } from "./keys.ts";
export { signPaymentContext } from "./sign.ts";
