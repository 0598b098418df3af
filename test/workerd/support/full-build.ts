// The Workers Vitest integration sets wrangler.toml's [define] as globals, where the deployed bundle has them
// folded away (src/worker/build.ts): the tests run the full build, every backend and feature, so every
// L402_BUILD_ global is unset. test/node/deploy-bundle.test.ts holds the builds as wrangler bundles them.
for (const name of Object.keys(globalThis).filter((key) => key.startsWith("L402_BUILD_"))) Reflect.set(globalThis, name, undefined);
