/**
 * Bounds on everything a client sends, checked before any decoding. A fresh
 * token is ~250 bytes of base64; these leave room for holder attenuation.
 */
export const MAX_CREDENTIAL_HEADER_CHARS = 8192;
export const MAX_CHALLENGE_HEADER_CHARS = 16384;
export const MAX_INVOICE_CHARS = 7089; // BOLT11's practical bound (lnd's limit on a payment request)
