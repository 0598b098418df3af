import { DurableObject } from "cloudflare:workers";
import { METER_FORGET_MARGIN_SECONDS } from "../paywall/index.ts";
import { answeredBefore, withCall, type RecentCalls } from "./keyed-calls.ts";

/**
 * The requests one metered token has used, keyed by its token id. A Durable
 * Object runs one call at a time and its storage calls keep other calls out
 * until they finish, so check-and-increment is atomic: no overspend, no lost
 * count, even when many requests use one token at once.
 *
 * When the count may be forgotten: only once the token can no longer be valid
 * under the expiry the paywall minted (`forgetAt`, from Grant.mintedValidUntil),
 * never under a narrower one a holder appended: a holder keeps the unattenuated
 * token, so forgetting at their expiry would hand them a fresh count. Not at
 * that expiry either, but a margin later (METER_FORGET_MARGIN_SECONDS): the
 * Worker that refuses an expired credential reads another clock. A token
 * minted without an expiry is counted for good. Storage stays bounded by
 * payments: an object exists only for a token that was paid for and used, and
 * holds two numbers and the keys of its last calls (keyed-calls.ts: a call
 * sent again after its answer was lost gets its first answer, not a second
 * use taken or given back).
 */
export class TokenMeter extends DurableObject {
  /** Takes one use out of `limit`; `forgetAt` (unix s) is when the paywall's own expiry has passed. */
  async consume(key: string, limit: number, forgetAt: number | undefined): Promise<{ allowed: boolean; remaining: number }> {
    const recent = await this.recent();
    const before = answeredBefore<{ allowed: boolean; remaining: number }>(recent, key);
    if (before !== undefined) return before.answer;
    const used = (await this.ctx.storage.get<number>("used")) ?? 0;
    if (used >= limit) return { allowed: false, remaining: 0 };
    const answer = { allowed: true, remaining: limit - used - 1 };
    await this.ctx.storage.put({ used: used + 1, recent: withCall(recent, key, answer) });
    if (used === 0 && forgetAt !== undefined) {
      await this.ctx.storage.put("forgetAt", forgetAt);
      await this.ctx.storage.setAlarm(forgettableAt(forgetAt));
    }
    return answer;
  }

  /** Gives back one use taken (never below none): its answer was one the service does not charge. */
  async giveBack(key: string): Promise<void> {
    const recent = await this.recent();
    if (answeredBefore(recent, key) !== undefined) return;
    const used = await this.ctx.storage.get<number>("used");
    if (used !== undefined && used > 0) await this.ctx.storage.put({ used: used - 1, recent: withCall(recent, key, null) });
  }

  /** Uses taken so far (the dashboard's read); undefined before the first. */
  async usesTaken(): Promise<number | undefined> {
    return this.ctx.storage.get<number>("used");
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

  private async recent(): Promise<RecentCalls> {
    return (await this.ctx.storage.get<RecentCalls>("recent")) ?? [];
  }
}

/** Milliseconds: when a count whose token expires at `forgetAt` (unix s) may go. */
const forgettableAt = (forgetAt: number): number => (forgetAt + METER_FORGET_MARGIN_SECONDS) * 1000;
