import { chromium, type Browser } from "playwright-core";
import { existsSync } from "node:fs";

/**
 * The Chromium the browser tests drive: CHROMIUM_PATH, else the system's
 * (Debian's `chromium` package). playwright-core downloads no browser.
 */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome"];

const chosen = process.env["CHROMIUM_PATH"];
export const CHROMIUM: string | undefined = chosen ? (existsSync(chosen) ? chosen : undefined) : CANDIDATES.find((path) => existsSync(path));

/** CI sets this (.ci/run installs Chromium first): a missing browser then fails the tests instead of skipping them. */
export const BROWSER_REQUIRED = process.env["L402_REQUIRE_BROWSER"] === "1";

export const WHERE_LOOKED = chosen ? `CHROMIUM_PATH=${chosen}` : CANDIDATES.join(", ");

/** The Chromium found, launched; none found is an error (a run that requires one, or a suite that skips without one never calls this). */
export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error(`no Chromium found (looked at ${WHERE_LOOKED}), and L402_REQUIRE_BROWSER=1 requires one`);
  return chromium.launch({ executablePath: CHROMIUM });
}
