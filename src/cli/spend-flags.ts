import type { SpendLimits } from "../client/index.ts";
import { UsageError } from "./io.ts";

/** The spend windows' flags, for parseArgs: `get`, `tokens spent` and `mcp` take them alike. */
export const SPEND_FLAGS = {
  "max-per-hour": { type: "string" },
  "max-per-day": { type: "string" },
  "max-per-host": { type: "string" },
} as const;

type SpendFlagValues = { "max-per-hour"?: string | undefined; "max-per-day"?: string | undefined; "max-per-host"?: string | undefined };

/** The limits the flags name, else the environment's (L402_MAX_PER_HOUR, L402_MAX_PER_DAY, L402_MAX_PER_HOST), in whole sats. */
export function spendLimits(values: SpendFlagValues): SpendLimits {
  const one = (flag: keyof SpendFlagValues, env: string): number | undefined => {
    const [text, named] = values[flag] !== undefined ? [values[flag], `--${flag}`] : [process.env[env] || undefined, env];
    if (text === undefined) return undefined;
    if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${named} must be a whole number of sats`);
    return Number(text);
  };
  const perHourSats = one("max-per-hour", "L402_MAX_PER_HOUR");
  const perDaySats = one("max-per-day", "L402_MAX_PER_DAY");
  const perHostSats = one("max-per-host", "L402_MAX_PER_HOST");
  return {
    ...(perHourSats === undefined ? {} : { perHourSats }),
    ...(perDaySats === undefined ? {} : { perDaySats }),
    ...(perHostSats === undefined ? {} : { perHostSats }),
  };
}
