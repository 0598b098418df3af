import { sha256, toHex } from "../bytes.ts";
import { storedTokenTerms } from "./token-terms.ts";
import { L402Error, type StoredToken, type Wallet } from "./types.ts";

/**
 * Tokens whose payment is in doubt (StoredToken.paymentInDoubt): kept before
 * the wallet is asked to pay, so that a payment whose outcome the client never
 * learns (the wallet's answer lost, its wait run out, the process stopped)
 * leaves its token behind, to be completed once the wallet says it was paid.
 */

/** The token an offer sells, as kept while its payment is under way or in doubt: no preimage yet, never sent. */
export const inDoubt = (token: StoredToken): StoredToken => ({ ...token, preimage: "", paymentInDoubt: true });

export const isInDoubt = (token: StoredToken): boolean => token.paymentInDoubt === true;

/** Where settling writes: a token completed (kept with its preimage), or one whose payment never happened (removed). */
export interface InDoubtWrites {
  readonly complete: (token: StoredToken) => Promise<void>;
  readonly remove: (macaroon: string) => Promise<void>;
}

/**
 * Asks the wallet what became of each token's payment: paid, the token is
 * completed (its preimage checked against its payment hash) and the first such
 * is returned, to be used instead of paying again; unpaid, it is removed; in
 * flight, an L402Error, and nothing more is paid while it may yet complete.
 */
export async function settleInDoubt(tokens: readonly StoredToken[], lookup: NonNullable<Wallet["lookup"]>, writes: InDoubtWrites): Promise<StoredToken | undefined> {
  for (const token of tokens) {
    const paymentHash = storedTokenTerms(token.macaroon)?.paymentHash;
    if (paymentHash === undefined) {
      await writes.remove(token.macaroon);
      continue;
    }
    const found = await lookup(paymentHash);
    if (found.status !== "paid") {
      if (found.status === "pending") {
        throw new L402Error("payment_failed", `an earlier payment for this service (payment hash ${paymentHash}) is still in flight: its token is kept for when it completes, and nothing more is paid until then`, { unpaid: true });
      }
      await writes.remove(token.macaroon);
      continue;
    }
    if (toHex(sha256(found.preimage)) !== paymentHash) throw new L402Error("payment_failed", `the wallet's preimage for payment ${paymentHash} does not match its hash; nothing was paid`, { unpaid: true });
    const { paymentInDoubt: _settled, ...rest } = token;
    const completed = { ...rest, preimage: toHex(found.preimage) };
    await writes.complete(completed);
    return completed;
  }
  return undefined;
}
