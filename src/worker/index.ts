import { createWorkerApp } from "./app.ts";

export { FreebieCounter } from "./freebie-counter.ts";
export { InvoiceLookupGate } from "./invoice-lookup-gate.ts";
export { InvoicePoolShard } from "./invoice-pool-shard.ts";
export { NwcRelay } from "./nwc-relay.ts";
export { SpentChargeShard } from "./spent-charge-shard.ts";
export { TokenMeter } from "./token-meter.ts";
export { TokenBalance } from "./token-balance.ts";
export { createWorkerApp, type WorkerHandler } from "./app.ts";
export { cloudflarePorts } from "./ports.ts";
export type { WorkerEnv } from "./worker-env.ts";

/** The template Worker's entry: the app, built once per isolate. */
const app = createWorkerApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
