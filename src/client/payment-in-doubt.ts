import { sha256, toHex } from "../bytes.ts";
import { storedTokenTerms } from "./token-terms.ts";
import { L402Error, type StoredToken, type Wallet } from "./types.ts";

/**
 * Payments in doubt (StoredToken.paymentInDoubt, StoredToken.topUpInDoubt):
 * what a payment buys is kept before the wallet is asked to pay, so that one
 * whose outcome the client never learns (the wallet's answer lost, its wait
 * run out, the process stopped) leaves it behind, to be completed once the
 * wallet says it was paid.
 */

type Lookup = NonNullable<Wallet["lookup"]>;

/** The token an offer sells, as kept while its payment (counted in the spend windows as `spendRecord`) is under way or in doubt: no preimage yet, never sent. */
export const inDoubt = (token: StoredToken, spendRecord: string): StoredToken => ({ ...token, preimage: "", paymentInDoubt: true, spendRecord });

export const isInDoubt = (token: StoredToken): boolean => token.paymentInDoubt === true;

/**
 * What became of a payment in doubt: the preimage (hex), none (never made, or
 * failed), still in flight, or unknown (the wallet cannot look payments up, or
 * its preimage is not the payment's); undefined where it cannot answer now.
 */
type Outcome = { readonly paid: string } | "unpaid" | "pending" | "unknown";

async function outcomeOf(macaroon: string, lookup: Lookup): Promise<Outcome | undefined> {
  const paymentHash = storedTokenTerms(macaroon)?.paymentHash;
  if (paymentHash === undefined) return "unpaid";
  const found = await lookup(paymentHash).catch(() => undefined);
  if (found === undefined || found.status !== "paid") return found?.status;
  return toHex(sha256(found.preimage)) === paymentHash ? { paid: toHex(found.preimage) } : "unknown";
}

const stillInFlight = (what: string): L402Error =>
  new L402Error("payment_failed", `an earlier payment for ${what} is still in flight: what it buys is kept for when it completes, and nothing more is paid until then`, { unpaid: true });

/**
 * Whether a payment the wallet refused was never made, asked again where it
 * can look payments up: an error may come after a payment began (a node
 * shutting down mid-payment resumes it), and one refused as already paid was.
 */
export async function neverMade(wallet: Wallet, paymentHash: string): Promise<boolean> {
  if (wallet.lookup === undefined) return true;
  // One it cannot look up at all (`unknown`) has only its refusal to go by; one it cannot look up now stays in doubt.
  const found = await wallet.lookup(paymentHash).catch(() => undefined);
  return found?.status === "unpaid" || found?.status === "unknown";
}

/** Where settling writes: a token completed (kept with its preimage), or one whose payment never happened (removed, and its spend record uncounted). */
export interface InDoubtWrites {
  readonly complete: (token: StoredToken) => Promise<void>;
  readonly remove: (macaroon: string) => Promise<void>;
  readonly release: (spendRecord: string) => Promise<void>;
}

/**
 * Asks the wallet what became of each token's payment: paid, the token is
 * completed, and the first `usable` one returned, to be used instead of
 * paying again; never made or failed, it is removed and its payment
 * uncounted in the spend windows; one the wallet cannot
 * say of (a lookup that fails) stays in doubt. One still in flight that
 * `blocks` the purchase (it sells the same service) leaves nothing to be
 * paid: an L402Error, unless a usable one was completed.
 */
export async function settleInDoubt(tokens: readonly StoredToken[], lookup: Lookup, writes: InDoubtWrites, purchase: { readonly usable: (token: StoredToken) => boolean; readonly blocks: (token: StoredToken) => boolean }): Promise<StoredToken | undefined> {
  let inFlight = false;
  let found: StoredToken | undefined;
  for (const token of tokens) {
    const outcome = await outcomeOf(token.macaroon, lookup);
    if (outcome === undefined || outcome === "unknown") continue;
    if (outcome === "pending") inFlight ||= purchase.blocks(token);
    else if (outcome === "unpaid") {
      await writes.remove(token.macaroon);
      if (token.spendRecord !== undefined) await writes.release(token.spendRecord);
    } else {
      const { paymentInDoubt: _settled, spendRecord: _counted, ...rest } = token;
      const completed = { ...rest, preimage: outcome.paid };
      await writes.complete(completed);
      if (found === undefined && purchase.usable(completed)) found = completed;
    }
  }
  if (found === undefined && inFlight) throw stillInFlight("this service");
  return found;
}

/** A top-up of a balance token: its token (`<base64 macaroon>:<hex preimage>`) and what it adds to what the token cost and bought. */
export interface TopUp {
  readonly token: string;
  readonly paidMsat: bigint;
  readonly creditMsat: bigint | undefined;
}

/** `held` with a top-up in doubt: kept before the wallet is asked to pay it (counted in the spend windows as `spendRecord`). */
export const withTopUpInDoubt = (held: StoredToken, topUp: Omit<TopUp, "token"> & { readonly macaroon: string; readonly spendRecord: string }): StoredToken => ({
  ...held,
  topUpInDoubt: { macaroon: topUp.macaroon, paidMsat: String(topUp.paidMsat), ...(topUp.creditMsat === undefined ? {} : { creditMsat: String(topUp.creditMsat) }), spendRecord: topUp.spendRecord },
});

/** `held` without its top-up in doubt (its payment was never made, or has been settled). */
export function withoutTopUpInDoubt({ topUpInDoubt: _gone, ...held }: StoredToken): StoredToken {
  return held;
}

/** `held` with a paid top-up pending (sent by the next request on it): its cost and credit counted, in doubt no more. */
export const withPendingTopUp = (held: StoredToken, topUp: TopUp): StoredToken => ({
  ...withoutTopUpInDoubt(held),
  paidMsat: String(msat(held.paidMsat) + topUp.paidMsat),
  ...(topUp.creditMsat === undefined ? {} : { creditMsat: String(msat(held.creditMsat) + topUp.creditMsat) }),
  pendingTopUp: topUp.token,
});

/**
 * The top-up `held` has in doubt, where the wallet says it was paid; undefined
 * where it never was (its spend record then given to `release`), or the
 * wallet cannot look payments up (a new top-up then takes its place). In
 * flight, or where the wallet cannot answer now: an L402Error, and nothing
 * more is paid.
 */
export async function settleTopUpInDoubt(held: StoredToken, lookup: Lookup, release: (spendRecord: string) => Promise<void>): Promise<TopUp | undefined> {
  const doubted = held.topUpInDoubt;
  if (doubted === undefined) return undefined;
  const outcome = await outcomeOf(doubted.macaroon, lookup);
  if (outcome === "pending") throw stillInFlight("a top-up of this token");
  if (outcome === undefined) throw new L402Error("network", "the wallet cannot say now what became of this token's last top-up: nothing more is paid until it can", { unpaid: true });
  if (outcome === "unpaid" && doubted.spendRecord !== undefined) await release(doubted.spendRecord);
  if (outcome === "unknown" || outcome === "unpaid") return undefined;
  return { token: `${doubted.macaroon}:${outcome.paid}`, paidMsat: msat(doubted.paidMsat), creditMsat: doubted.creditMsat === undefined ? undefined : msat(doubted.creditMsat) };
}

/** An amount a store kept (a file anyone may have edited): unreadable counts as none. */
const msat = (text: string | undefined): bigint => (text !== undefined && /^\d{1,19}$/.test(text) ? BigInt(text) : 0n);
