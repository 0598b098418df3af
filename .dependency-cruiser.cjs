/**
 * Which folder may import which (run by test/node/architecture.test.ts). Arrows
 * point inward: worker → {paywall, admin, proxy, config, lightning}; paywall →
 * {payment, x402, l402, lightning, config}; payment → l402 → macaroon; client,
 * cli → {payment, l402, lightning}.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-is-pure",
      comment: "The protocol core runs anywhere: it imports itself, its inner layer and pure libraries only.",
      severity: "error",
      from: { path: "^src/(macaroon|l402|payment|x402)/" },
      to: { pathNot: ["^src/(macaroon|l402|payment|x402)/", "^src/(bytes|result|json-object)[.]ts$", "^node_modules/@noble/hashes/", "^node_modules/@scure/base/", "^node_modules/canonicalize/"] },
    },
    {
      name: "context-is-pure",
      comment: "The payment context's keys and signer run on WebCrypto alone: the Worker signs with them, the origin's helper shares their claims.",
      severity: "error",
      from: { path: "^src/context/" },
      to: { pathNot: ["^src/context/", "^src/(bytes|result)[.]ts$", "^node_modules/valibot/"] },
    },
    {
      name: "origin-helper-is-jose-alone",
      comment: "l402-edge/origin runs in any origin (Node, Workers, Deno, Bun): jose and the claims' shape, nothing of the paywall.",
      severity: "error",
      from: { path: "^src/origin/" },
      to: { pathNot: ["^src/origin/", "^src/context/claims[.]ts$", "^node_modules/jose/"] },
    },
    {
      name: "l402-knows-no-payment-scheme",
      comment: "The Payment scheme and x402 build on L402's parts (auth-params, results), not the other way round.",
      severity: "error",
      from: { path: "^src/(macaroon|l402)/" },
      to: { path: "^src/(payment|x402)/" },
    },
    {
      name: "macaroon-knows-no-l402",
      severity: "error",
      from: { path: "^src/macaroon/" },
      to: { path: "^src/l402/" },
    },
    {
      name: "only-the-worker-knows-cloudflare",
      comment: "Bindings, Durable Objects and the Worker's env live in src/worker/ only.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/worker/" },
      to: { path: ["^src/worker/", "^cloudflare:"] },
    },
    {
      name: "paywall-knows-no-macaroon",
      comment: "The paywall works with tokens through l402/ (mint, verify, tokenFacts), never with macaroons' bytes.",
      severity: "error",
      from: { path: "^src/paywall/" },
      to: { path: "^src/macaroon/" },
    },
    {
      name: "paywall-core-knows-no-framework",
      comment: "decide, respond, the schemes and the fetch adapter run on any fetch runtime: only the Hono adapter knows Hono.",
      severity: "error",
      from: { path: "^src/paywall/", pathNot: "^src/paywall/middleware[.]ts$" },
      to: { path: ["^node_modules/hono/", "^hono(/|$)"] },
    },
    {
      name: "forwarder-and-discovery-know-no-paywall",
      comment: "forwardToOrigin is told which cookies to withhold; discovery takes a service's terms from config/.",
      severity: "error",
      from: { path: "^src/(proxy|discovery)/" },
      to: { path: "^src/paywall/" },
    },
    {
      name: "one-codec-module",
      comment: "Bytes become text (hex, base64) in one place: src/bytes.ts.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/bytes[.]ts$" },
      to: { path: "^node_modules/@scure/base/" },
    },
    {
      name: "paywall-stays-mountable",
      comment: "The middleware knows no command line, no admin API and no forwarding.",
      severity: "error",
      from: { path: "^src/paywall/" },
      to: { path: ["^src/(cli|admin|proxy|client)/"] },
    },
    {
      name: "cli-knows-no-worker-config",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/(config|paywall|admin|proxy)/" },
    },
    {
      name: "client-knows-no-server",
      severity: "error",
      from: { path: "^src/client/" },
      to: { path: "^src/(config|paywall|admin|proxy|cli)/" },
    },
    {
      name: "only-mcp-knows-the-mcp-sdk",
      comment: "The MCP SDK (with zod) is most of the Worker's bundle: one folder of the Worker imports it (and the CLI's MCP wallet, which runs in Node).",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(mcp|cli)/" },
      // Unresolved by the cruiser (the SDK maps its paths with exports patterns): matched by name too.
      to: { path: "^(node_modules/)?@modelcontextprotocol/" },
    },
    {
      name: "mcp-loaded-on-first-call",
      comment: "Its folder is imported for types or with import(): a Worker that only forwards never evaluates the SDK.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/mcp/" },
      to: { path: "^src/mcp/", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
    {
      name: "src-knows-no-dev-or-tests",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(dev|test|bench)/" },
    },
    {
      name: "bench-and-dev-know-no-tests",
      severity: "error",
      from: { path: "^(bench|dev)/" },
      to: { path: "^test/" },
    },
    {
      name: "no-cycles",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^dist/" },
  },
};
