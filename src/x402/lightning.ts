import type { PaymentRequirements } from "./headers.ts";

/**
 * x402's "exact" scheme over Lightning, as the open proposals write it
 * (x402 #1311, #2861) and Alby's `fetch402` reads it: none is merged, so all
 * of this is provisional (README, "x402 with Lightning").
 */
export const EXACT = "exact";
/** What Alby's client looks for in `extra` to pay an entry: the only field it keys on. */
export const LIGHTNING_METHOD = "lightning";
/** Settled before the resource is served (#2861's `paymentFlow`). */
export const UPFRONT = "upfront";
/** The asset: bitcoin, counted in millisatoshis (`amount`). */
export const BTC = "BTC";
/** #1311's payee for an invoice that names its own node. */
export const ANONYMOUS_PAYEE = "anonymous";

/**
 * CAIP-2 ids of the Bitcoin networks (`bip122:` and the first 32 hex digits
 * of the genesis block's hash), by the invoice prefixes' network names. The
 * `tb` prefix serves testnet3 and testnet4 alike; this is testnet3's id, the
 * one the proposals name.
 */
export const BIP122_NETWORKS = {
  mainnet: "bip122:000000000019d6689c085ae165831e93",
  testnet: "bip122:000000000933ea01ad0ee984209779ba",
  signet: "bip122:00000008819873e925422c1ff0f99f7c",
  regtest: "bip122:0f9188f13cb7b2c71f2a335e3a4fc328",
} as const;

/** A payload's preimage, 64 hex digits (lowercase, as written; either case read). */
export function lightningPreimage(payload: Readonly<Record<string, unknown>>): string | undefined {
  const preimage = payload["preimage"];
  return typeof preimage === "string" && /^[0-9a-fA-F]{64}$/.test(preimage) ? preimage.toLowerCase() : undefined;
}

/** The entry of `accepts` a Lightning wallet pays: `exact`, Lightning, with an invoice (Alby's fetch402 keys on the same). */
export function lightningEntry(accepts: readonly PaymentRequirements[]): (PaymentRequirements & { readonly extra: { readonly invoice: string } }) | undefined {
  return accepts.find((entry): entry is PaymentRequirements & { readonly extra: { readonly invoice: string } } =>
    entry.scheme === EXACT && entry.extra["paymentMethod"] === LIGHTNING_METHOD && typeof entry.extra["invoice"] === "string");
}
