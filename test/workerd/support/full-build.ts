// The Workers Vitest integration sets wrangler.toml's [define] as globals, where the deployed bundle has them
// folded away (src/worker/build.ts): the tests run the full build, every backend and the MCP endpoint.
// test/node/deploy-bundle.test.ts holds the slim builds as wrangler bundles them.
globalThis.L402_BUILD_BACKEND = undefined;
globalThis.L402_BUILD_MCP = undefined;
