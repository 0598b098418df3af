import { DurableObject } from "cloudflare:workers";
import { createWorkerApp } from "./app.ts";
import { forgetOldUnpaidChallenges } from "./d1-ledger.ts";
import { InvoicePoolShard as PoolShard } from "./invoice-pool-shard.ts";
import { SpentChargeShard as SpentShard } from "./spent-charge-shard.ts";
import { TokenBalance as Balance } from "./token-balance.ts";
import type { WorkerBindings } from "./bindings.ts";

export { FreebieCounter } from "./freebie-counter.ts";
export { InvoiceLookupGate } from "./invoice-lookup-gate.ts";
export { NwcRelay } from "./nwc-relay.ts";
export { TokenMeter } from "./token-meter.ts";
export { createWorkerApp, type WorkerHandler } from "./app.ts";
export { cloudflarePorts } from "./ports.ts";
export { forgetOldUnpaidChallenges } from "./d1-ledger.ts";
export type { WorkerEnv } from "./worker-env.ts";
export type { WorkerBindings } from "./bindings.ts";

/** An empty Durable Object class in place of one a build leaves out: nothing calls it there, so it is typed as the class it stands for. */
const leftOut = <Class>(): Class => class extends DurableObject {} as unknown as Class;

// Every build exports each Durable Object class wrangler.toml binds; a build that leaves out the feature using one (build.ts) exports an empty class in its place, and carries none of its code.
export const InvoicePoolShard = globalThis.L402_BUILD_POOL === false ? leftOut<typeof PoolShard>() : PoolShard;
export const TokenBalance = globalThis.L402_BUILD_BALANCE === false ? leftOut<typeof Balance>() : Balance;
export const SpentChargeShard = globalThis.L402_BUILD_MPP === false && globalThis.L402_BUILD_X402 === false ? leftOut<typeof SpentShard>() : SpentShard;
// The classes' types, as the package exported them before (a binding's `DurableObjectNamespace<TokenBalance>`).
export type InvoicePoolShard = PoolShard;
export type TokenBalance = Balance;
export type SpentChargeShard = SpentShard;

/** The template Worker's entry: the app, built once per isolate. */
const app = createWorkerApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  // wrangler.toml's hourly Cron Trigger: the ledger's upkeep.
  scheduled: (controller, env, ctx) => ctx.waitUntil(forgetOldUnpaidChallenges(env.L402_LEDGER, controller.scheduledTime)),
} satisfies ExportedHandler<WorkerBindings>;
