import { DurableObject } from "cloudflare:workers";
import { METER_FORGET_MARGIN_SECONDS, type BalanceOpening, type Reservation, type TopUp } from "../paywall/index.ts";

/**
 * One token's prepaid balance (the paywall's `Balances` port), keyed by its
 * token id, in millisatoshis. A Durable Object runs one call at a time and
 * its storage calls keep other calls out until they finish, so
 * check-and-take is atomic: concurrent requests never take more than the
 * balance, and a top-up token is credited once however often it is sent.
 *
 * The balance opens at its token's credit the first time the token is used
 * (a top-up may come first; the credit is added all the same when the token
 * is). It is forgotten as TokenMeter forgets a count: a margin after the
 * expiry minted into the token (and into its top-ups), never a narrower one a
 * holder added. Storage: three numbers, and a key per top-up applied.
 */
export class TokenBalance extends DurableObject {
  async reserve(amountMsat: bigint, opening: BalanceOpening | undefined, topup: TopUp | undefined): Promise<Reservation> {
    const storage = this.ctx.storage;
    const stored = await storage.get<bigint>("balance");
    let balance = stored ?? 0n;
    const forgetAt = opening?.forgetAt ?? topup?.forgetAt;
    if (stored === undefined && forgetAt !== undefined) {
      await storage.put("forgetAt", forgetAt);
      await storage.setAlarm(forgettableAt(forgetAt));
    }
    if (opening !== undefined && (await storage.get<boolean>("opened")) !== true) {
      balance += opening.creditMsat;
      await storage.put("opened", true);
    }
    if (topup !== undefined) {
      const key = `topup:${topup.tokenId}`;
      if ((await storage.get<boolean>(key)) === true) return this.kept(balance, "topup_spent");
      await storage.put(key, true);
      balance += topup.creditMsat;
    }
    if (balance < amountMsat) return this.kept(balance, "short");
    balance -= amountMsat;
    await storage.put("balance", balance);
    return { status: "reserved", balanceMsat: balance };
  }

  async release(amountMsat: bigint): Promise<{ balanceMsat: bigint }> {
    const balance = ((await this.ctx.storage.get<bigint>("balance")) ?? 0n) + amountMsat;
    await this.ctx.storage.put("balance", balance);
    return { balanceMsat: balance };
  }

  /** The balance as it stands (the dashboard's read); undefined before the token's first use. */
  async balanceMsat(): Promise<bigint | undefined> {
    return this.ctx.storage.get<bigint>("balance");
  }

  /** The token has expired (and the margin passed): nothing to keep. An alarm run early (it can be triggered by hand) changes nothing. */
  override async alarm(): Promise<void> {
    const forgetAt = await this.ctx.storage.get<number>("forgetAt");
    if (forgetAt === undefined) return;
    if (Date.now() < forgettableAt(forgetAt)) {
      await this.ctx.storage.setAlarm(forgettableAt(forgetAt));
      return;
    }
    await this.ctx.storage.deleteAll();
  }

  /** Nothing taken: the balance as it now is (with a credit or top-up just applied) is stored, and told. */
  private async kept(balance: bigint, status: "short" | "topup_spent"): Promise<Reservation> {
    await this.ctx.storage.put("balance", balance);
    return { status, balanceMsat: balance };
  }
}

/** Milliseconds: when a balance whose token expires at `forgetAt` (unix s) may go. */
const forgettableAt = (forgetAt: number): number => (forgetAt + METER_FORGET_MARGIN_SECONDS) * 1000;
