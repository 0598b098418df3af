import type { FiatRate } from "../config/index.ts";

/**
 * A price in sats as the 402 page estimates it in the operator's currency,
 * worded as an estimate: "About $0.0029 (at $95,000 per bitcoin)". Amounts
 * under one unit keep two significant digits, so a few sats do not read as
 * nothing.
 */
export function fiatEstimate(priceMsat: bigint, rate: FiatRate): string {
  const amount = (Number(priceMsat) / 1e11) * rate.perBitcoin;
  const price = new Intl.NumberFormat("en", { style: "currency", currency: rate.currency, ...(amount < 1 ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 2 }) }).format(amount);
  const perBitcoin = new Intl.NumberFormat("en", { style: "currency", currency: rate.currency, maximumFractionDigits: 0 }).format(rate.perBitcoin);
  return `About ${price} (at ${perBitcoin} per bitcoin)`;
}
