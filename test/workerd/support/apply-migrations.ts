import { applyD1Migrations, env } from "cloudflare:test";

// The D1 schema from migrations/, applied as `wrangler d1 migrations apply` would.
await applyD1Migrations(env.L402_LEDGER as D1Database, env.TEST_MIGRATIONS);
