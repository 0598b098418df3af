import { DurableObject } from "cloudflare:workers";
import { METER_FORGET_MARGIN_SECONDS, type BalanceOpening, type Reservation, type TopUp } from "../paywall/index.ts";
import { answeredBefore, withCall, type RecentCalls } from "./keyed-calls.ts";

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
 * holder added. Storage: three numbers, a key per top-up applied, and the
 * keys of the last calls that changed the balance (keyed-calls.ts: a call
 * sent again after its answer was lost gets its first answer, not a second
 * debit or credit).
 */
export class TokenBalance extends DurableObject {
  async reserve(key: string, amountMsat: bigint, opening: BalanceOpening | undefined, topup: TopUp | undefined): Promise<Reservation> {
    const storage = this.ctx.storage;
    const recent = await this.recent();
    const before = answeredBefore<Reservation>(recent, key);
    if (before !== undefined) return before.answer;
    const stored = await storage.get<bigint>("balance");
    let balance = stored ?? 0n;
    const forgetAt = opening?.forgetAt ?? topup?.forgetAt;
    if (stored === undefined && forgetAt !== undefined) {
      await storage.put("forgetAt", forgetAt);
      await storage.setAlarm(forgettableAt(forgetAt));
    }
    // Whether a credit was just applied: only then is a refusal written (a refused request otherwise writes nothing).
    let credited = false;
    if (opening !== undefined && (await storage.get<boolean>("opened")) !== true) {
      balance += opening.creditMsat;
      await storage.put("opened", true);
      credited = true;
    }
    if (topup !== undefined) {
      const topupKey = `topup:${topup.tokenId}`;
      if ((await storage.get<boolean>(topupKey)) === true) return this.kept(recent, key, { status: "topup_spent", balanceMsat: balance }, credited);
      await storage.put(topupKey, true);
      balance += topup.creditMsat;
      credited = true;
    }
    if (balance < amountMsat) return this.kept(recent, key, { status: "short", balanceMsat: balance }, credited);
    const reserved: Reservation = { status: "reserved", balanceMsat: balance - amountMsat };
    return this.kept(recent, key, reserved, amountMsat > 0n || credited);
  }

  /** Gives back what a request did not use. A balance already forgotten (its token expired, a metered body outlasting it) stays forgotten: a row written now would have no alarm to go with. */
  async release(key: string, amountMsat: bigint): Promise<{ balanceMsat: bigint }> {
    const recent = await this.recent();
    const before = answeredBefore<{ balanceMsat: bigint }>(recent, key);
    if (before !== undefined) return before.answer;
    const stored = await this.ctx.storage.get<bigint>("balance");
    if (stored === undefined) return { balanceMsat: 0n };
    return this.kept(recent, key, { balanceMsat: stored + amountMsat }, true);
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

  /** The call's answer, its balance stored with the call's key when it changed (a refusal that applied no credit writes nothing: sent again, it is answered the same). */
  private async kept<T extends { balanceMsat: bigint }>(recent: RecentCalls, key: string, answer: T, changed: boolean): Promise<T> {
    if (changed) await this.ctx.storage.put({ balance: answer.balanceMsat, recent: withCall(recent, key, answer) });
    return answer;
  }

  private async recent(): Promise<RecentCalls> {
    return (await this.ctx.storage.get<RecentCalls>("recent")) ?? [];
  }
}

/** Milliseconds: when a balance whose token expires at `forgetAt` (unix s) may go. */
const forgettableAt = (forgetAt: number): number => (forgetAt + METER_FORGET_MARGIN_SECONDS) * 1000;
