import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import "./test/fixtures/provided-context.ts";
import { fullBuildConfig } from "./test/setup/full-build-config.ts";
import { TEST_RATE_LIMITS, testBindings } from "./test/fixtures/worker-env.ts";

/**
 * Two projects: everything that runs at the edge is tested inside workerd (the
 * real Workers runtime) against real servers on loopback (test/setup/servers.ts);
 * the command line, the simulator and Node-only interop run in Node.
 */
const WORKERD_CONFIG = fullBuildConfig();

export default defineConfig({
  test: {
    // The Worker logs a line per request: shown for failing tests only.
    silent: "passed-only",
    reporters: ["default", "./test/setup/browser-report.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: WORKERD_CONFIG },
            miniflare: {
              bindings: { ...testBindings(inject("lndSim"), inject("testOrigin").url), TEST_MIGRATIONS: await readD1Migrations("./migrations") },
              ratelimits: TEST_RATE_LIMITS,
            },
          })),
        ],
        test: {
          name: "workerd",
          include: ["test/workerd/**/*.test.ts"],
          testTimeout: 30_000,
          globalSetup: ["test/setup/servers.ts"],
          setupFiles: ["test/workerd/support/apply-migrations.ts"],
        },
      },
      {
        // Property tests run 100,000 cases: seconds on two busy cores, so a wider timeout than vitest's 5 s.
        test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node", testTimeout: 30_000 },
      },
      {
        // Chromium against the local stack; skipped (and reported) without a Chromium. A page under a loaded CI machine is slow: 60 s.
        test: { name: "browser", include: ["test/browser/**/*.test.ts"], environment: "node", testTimeout: 60_000 },
      },
    ],
  },
});
