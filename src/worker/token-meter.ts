import { PerTokenObject } from "./per-token-object.ts";

/**
 * The requests one metered token has used, keyed by its token id. A Durable
 * Object runs one call at a time and its storage calls keep other calls out
 * until they finish, so check-and-increment is atomic: no overspend, no lost
 * count, even when many requests use one token at once. The count is
 * forgotten after its token's minted expiry (per-token-object.ts; a token
 * minted without one is counted for good). Storage stays bounded by
 * payments: an object exists only for a token that was paid for and used, and
 * holds two numbers (tens of bytes).
 */
export class TokenMeter extends PerTokenObject {
  /** Takes one use out of `limit`; `forgetAt` (unix s) is when the paywall's own expiry has passed. */
  async consume(limit: number, forgetAt: number | undefined): Promise<{ allowed: boolean; remaining: number }> {
    const used = (await this.ctx.storage.get<number>("used")) ?? 0;
    if (used >= limit) return { allowed: false, remaining: 0 };
    await this.ctx.storage.put("used", used + 1);
    if (used === 0 && forgetAt !== undefined) await this.forgetAfter(forgetAt);
    return { allowed: true, remaining: limit - used - 1 };
  }

  /** Gives back one use taken (never below none): its answer was one the service does not charge. */
  async giveBack(): Promise<void> {
    const used = await this.ctx.storage.get<number>("used");
    if (used !== undefined && used > 0) await this.ctx.storage.put("used", used - 1);
  }

  /** Uses taken so far (the dashboard's read); undefined before the first. */
  async usesTaken(): Promise<number | undefined> {
    return this.ctx.storage.get<number>("used");
  }
}
