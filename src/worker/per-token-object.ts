import { DurableObject } from "cloudflare:workers";
import { METER_FORGET_MARGIN_SECONDS } from "../paywall/index.ts";

/**
 * What TokenMeter and TokenBalance share: one object per token, forgotten
 * once that token can no longer be valid.
 *
 * When it may be forgotten: only once the token can no longer be valid under
 * the expiry the paywall minted (`forgetAt`, from Grant.mintedValidUntil),
 * never under a narrower one a holder appended: a holder keeps the
 * unattenuated token, so forgetting at their expiry would hand them a fresh
 * count or balance. Not at that expiry either, but a margin later
 * (METER_FORGET_MARGIN_SECONDS): the Worker that refuses an expired credential
 * reads another clock. A token minted without an expiry is kept for good.
 */
export abstract class PerTokenObject extends DurableObject {
  /** Sets the alarm that forgets this token's object, from `forgetAt` (unix s), stored for the alarm to read. */
  protected async forgetAfter(forgetAt: number): Promise<void> {
    await this.ctx.storage.put("forgetAt", forgetAt);
    await this.ctx.storage.setAlarm(forgettableAt(forgetAt));
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
}

/** Milliseconds: when an object whose token expires at `forgetAt` (unix s) may go. */
const forgettableAt = (forgetAt: number): number => (forgetAt + METER_FORGET_MARGIN_SECONDS) * 1000;
