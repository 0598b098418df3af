export { isChallenge, readOffer, type Offer, type Scheme } from "./challenge-offer.ts";
export type { TokenTerms } from "./token-terms.ts";
export { createL402Fetch } from "./l402-fetch.ts";
export type { L402FetchOptions, PaymentEvent } from "./fetch-options.ts";
export { lndWallet, type LndWalletConfig } from "./lnd-wallet.ts";
export { memoryStore } from "./memory-store.ts";
export { nwcWallet, type NwcWalletConfig } from "./nwc-wallet.ts";
export { L402Error, type L402ErrorCode, type PaymentLookup, type StoredToken, type TokenStore, type Wallet } from "./types.ts";
export { memoryLedger, reserve, windowsSpent, type Reservation, type SpendLedger, type SpendLimits, type SpendRecord, type WindowSpent } from "./spend-windows.ts";
