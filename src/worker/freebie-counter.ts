import { DurableObject } from "cloudflare:workers";

/**
 * Free requests left for one client address prefix on one service, in fixed
 * windows of `periodSeconds` (keyed by service and prefix). One call at a time,
 * so the count is exact.
 */
export class FreebieCounter extends DurableObject {
  async take(count: number, periodSeconds: number, now: number): Promise<{ allowed: boolean; remaining: number }> {
    const window = Math.floor(now / periodSeconds);
    const state = (await this.ctx.storage.get<{ window: number; used: number }>("state")) ?? { window, used: 0 };
    const used = state.window === window ? state.used : 0;
    if (used >= count) return { allowed: false, remaining: 0 };
    await this.ctx.storage.put("state", { window, used: used + 1 });
    return { allowed: true, remaining: count - used - 1 };
  }
}
