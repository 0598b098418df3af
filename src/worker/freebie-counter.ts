import { DurableObject } from "cloudflare:workers";

interface Counted {
  readonly window: number;
  readonly used: number;
  readonly periodSeconds?: number;
}

/**
 * Free requests left for one client address prefix on one service, in fixed
 * windows of `periodSeconds` (keyed by service and prefix). One call at a time,
 * so the count is exact. Forgotten when its window ends: any unpaid client
 * makes one, and one that never comes back leaves nothing behind.
 */
export class FreebieCounter extends DurableObject {
  async take(count: number, periodSeconds: number, now: number): Promise<{ allowed: boolean; remaining: number }> {
    const state = await this.ctx.storage.get<Counted>("state");
    // A request stamped just before a window's end may arrive after one stamped in the next, or after the window's alarm: it counts in
    // the window now open (by the stored count, or this object's clock), never reopening one that ended.
    const window = Math.max(Math.floor(now / periodSeconds), state?.periodSeconds === periodSeconds ? state.window : 0, Math.floor(Date.now() / 1000 / periodSeconds));
    const used = state?.window === window ? state.used : 0;
    if (used >= count) return { allowed: false, remaining: 0 };
    await this.ctx.storage.put("state", { window, used: used + 1, periodSeconds } satisfies Counted);
    if (state?.window !== window) await this.ctx.storage.setAlarm(windowEnd(window, periodSeconds));
    return { allowed: true, remaining: count - used - 1 };
  }

  /** The window is over: nothing to keep. Run early (by hand, or a clock behind), it waits for the window's end. */
  override async alarm(): Promise<void> {
    const state = await this.ctx.storage.get<Counted>("state");
    if (state?.periodSeconds === undefined) return;
    const end = windowEnd(state.window, state.periodSeconds);
    if (Date.now() < end) return this.ctx.storage.setAlarm(end);
    await this.ctx.storage.deleteAll();
  }
}

/** Milliseconds: when window `window` of `periodSeconds` ends. */
const windowEnd = (window: number, periodSeconds: number): number => (window + 1) * periodSeconds * 1000;
