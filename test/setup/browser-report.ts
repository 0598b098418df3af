import type { Reporter, TestModule } from "vitest/node";
import { CHROMIUM, WHERE_LOOKED } from "../browser/support/chromium.ts";

/** Says plainly, at the end of the run, how many browser tests did not run and why: never a silent pass. */
export default class BrowserReport implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    // With a Chromium, tests skipped were filtered out (-t, .only): nothing to explain.
    if (CHROMIUM !== undefined) return;
    let skipped = 0;
    for (const module of testModules) {
      if (module.project.name !== "browser") continue;
      for (const test of module.children.allTests()) if (test.result().state === "skipped") skipped++;
    }
    if (skipped === 0) return;
    process.stdout.write(
      `\n  ${skipped} browser tests did not run: no Chromium found (looked at ${WHERE_LOOKED}).\n` +
        `  Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH, then run npm test again.\n\n`,
    );
  }
}
