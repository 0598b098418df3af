import { createApp } from "./paywall/app.ts";

export { FreebieCounter } from "./stateful/freebie-counter.ts";
export { TokenMeter } from "./stateful/token-meter.ts";

/** Worker entry: the paywall app, built once per isolate. */
const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
