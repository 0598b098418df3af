import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./io.ts";

/**
 * `parseArgs`, refusing a flag that takes one value given twice: the last
 * would win unseen (`--max-cost 10 … --max-cost 100000`, a script's default
 * and a user's flag). Unknown or malformed flags throw as parseArgs has them.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const parsed = parseArgs({ ...config, tokens: true });
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const option = config.options?.[token.name];
    if (option?.type !== "string" || option.multiple === true) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given twice`);
    seen.add(token.name);
  }
  return parsed as ReturnType<typeof parseArgs<T>>;
}
