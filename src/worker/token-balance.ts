import type { BalanceOpening, Reservation, TopUp } from "../paywall/index.ts";
import { PerTokenObject } from "./per-token-object.ts";

/**
 * One token's prepaid balance (the paywall's `Balances` port), keyed by its
 * token id, in millisatoshis. A Durable Object runs one call at a time and
 * its storage calls keep other calls out until they finish, so
 * check-and-take is atomic: concurrent requests never take more than the
 * balance, and a top-up token is credited once however often it is sent.
 *
 * The balance opens at its token's credit the first time the token is used
 * (a top-up may come first; the credit is added all the same when the token
 * is). It is forgotten as each per-token object is (per-token-object.ts): a
 * margin after the expiry minted into the token (and into its top-ups), never
 * a narrower one a holder added. Storage: three numbers, and a key per top-up applied.
 */
export class TokenBalance extends PerTokenObject {
  async reserve(amountMsat: bigint, opening: BalanceOpening | undefined, topup: TopUp | undefined): Promise<Reservation> {
    const storage = this.ctx.storage;
    const stored = await storage.get<bigint>("balance");
    let balance = stored ?? 0n;
    const forgetAt = opening?.forgetAt ?? topup?.forgetAt;
    if (stored === undefined && forgetAt !== undefined) await this.forgetAfter(forgetAt);
    // Whether a credit was just applied: only then is a refusal written (a refused request otherwise writes nothing).
    let credited = false;
    if (opening !== undefined && (await storage.get<boolean>("opened")) !== true) {
      balance += opening.creditMsat;
      await storage.put("opened", true);
      credited = true;
    }
    if (topup !== undefined) {
      const key = `topup:${topup.tokenId}`;
      if ((await storage.get<boolean>(key)) === true) return this.kept(balance, "topup_spent", credited);
      await storage.put(key, true);
      balance += topup.creditMsat;
      credited = true;
    }
    if (balance < amountMsat) return this.kept(balance, "short", credited);
    balance -= amountMsat;
    if (amountMsat > 0n || credited) await storage.put("balance", balance);
    return { status: "reserved", balanceMsat: balance };
  }

  /** Gives back what a request did not use. A balance already forgotten (its token expired, a metered body outlasting it) stays forgotten: a row written now would have no alarm to go with. */
  async release(amountMsat: bigint): Promise<{ balanceMsat: bigint }> {
    const stored = await this.ctx.storage.get<bigint>("balance");
    if (stored === undefined) return { balanceMsat: 0n };
    const balance = stored + amountMsat;
    await this.ctx.storage.put("balance", balance);
    return { balanceMsat: balance };
  }

  /** The balance as it stands (the dashboard's read); undefined before the token's first use. */
  async balanceMsat(): Promise<bigint | undefined> {
    return this.ctx.storage.get<bigint>("balance");
  }

  /** Nothing taken: the balance as it now is, told, and stored if a credit or top-up was just applied. */
  private async kept(balance: bigint, status: "short" | "topup_spent", credited: boolean): Promise<Reservation> {
    if (credited) await this.ctx.storage.put("balance", balance);
    return { status, balanceMsat: balance };
  }
}
