import type { WorkerBindings } from "../../../src/worker/bindings.ts";

/** The tests' `env` (cloudflare:test): the Worker's bindings and those that exist only in the tests (vitest.config.ts). */
declare global {
  namespace Cloudflare {
    interface Env extends WorkerBindings {
      /** A tight limiter the flood test swaps in for L402_MINT_LIMITER. */
      TIGHT_MINT_LIMITER?: RateLimit;
      TIGHT_MINT_NETWORK_LIMITER?: RateLimit;
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    }
  }
  type Env = Cloudflare.Env;
}
