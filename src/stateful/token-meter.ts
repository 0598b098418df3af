import { DurableObject } from "cloudflare:workers";

/**
 * The remaining requests of one metered token, keyed by its token id. A Durable
 * Object runs one call at a time and its storage calls keep other calls out
 * until they finish, so check-and-decrement is atomic: no overspend, no lost
 * count, even when many requests use one token at once.
 */
export class TokenMeter extends DurableObject {
  /** Takes one use out of `limit`; `expiresAt` (unix s) lets the object forget the token afterwards. */
  async consume(limit: number, expiresAt: number | undefined): Promise<{ ok: boolean; remaining: number }> {
    const used = (await this.ctx.storage.get<number>("used")) ?? 0;
    if (used >= limit) return { ok: false, remaining: 0 };
    await this.ctx.storage.put("used", used + 1);
    if (used === 0 && expiresAt !== undefined) await this.ctx.storage.setAlarm(expiresAt * 1000);
    return { ok: true, remaining: limit - used - 1 };
  }

  /** The token has expired: nothing to keep. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
