import { vi } from "vitest";

/**
 * Runs `body` with this isolate's clock (`Date`, which the Worker under test
 * reads too) held still, moved on only by `advance(ms)`: a test about seconds
 * passing (a cooldown, an expiry) does not race the real ones on a slow machine.
 */
export async function withHeldClock<T>(body: (advance: (ms: number) => void) => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    let at = Date.now();
    vi.setSystemTime(at);
    return await body((ms) => vi.setSystemTime((at += ms)));
  } finally {
    vi.useRealTimers();
  }
}
