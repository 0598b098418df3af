/** Bindings that exist only in the tests (vitest.config.ts). */
declare namespace Cloudflare {
  interface Env {
    /** A tight limiter the flood test swaps in for L402_MINT_LIMITER. */
    TIGHT_MINT_LIMITER?: RateLimit;
    TIGHT_MINT_NETWORK_LIMITER?: RateLimit;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
