import { windowsSpent, type SpendLimits, type StoredToken } from "../client/index.ts";
import { formatSats } from "../l402/index.ts";
import { fileLedger } from "./file-ledger.ts";
import { fileStore } from "./file-store.ts";
import { tokenDirectory } from "./get.ts";
import { EXIT, printJson, UsageError } from "./io.ts";
import { SPEND_FLAGS, spendLimits } from "./spend-flags.ts";
import { parseFlags } from "./flags.ts";

/** `l402-edge tokens list | show ORIGIN | rm ORIGIN | rm --all | spent`: the tokens `get` keeps, and what it spent. */
export async function tokensCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { "token-dir": { type: "string" }, all: { type: "boolean" }, ...SPEND_FLAGS },
  });
  const directory = tokenDirectory(values["token-dir"]);
  const store = fileStore(directory);
  const [sub, origin, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError("too many arguments");
  const normalise = (text: string | undefined) => {
    if (text === undefined) throw new UsageError(`tokens ${sub} needs an origin, e.g. https://api.example.com`);
    try {
      return new URL(text).origin;
    } catch {
      throw new UsageError(`"${text}" is not a URL`);
    }
  };
  switch (sub) {
    case "list": {
      const rows = await Promise.all(
        (await store.keys()).map(async (key) => ({ origin: key, tokens: (await store.get(key)).map(listed) })),
      );
      printJson(rows);
      return EXIT.ok;
    }
    case "show": {
      const key = normalise(origin);
      const tokens = await store.get(key);
      if (tokens.length === 0) throw new UsageError(`no tokens for ${key}`);
      printJson({ origin: key, tokens });
      return EXIT.ok;
    }
    case "rm": {
      if (values.all && origin !== undefined) throw new UsageError("tokens rm takes an origin or --all, not both");
      const keys = values.all ? await store.keys() : [normalise(origin)];
      for (const key of keys) await store.remove(key);
      process.stderr.write(`l402-edge: removed the tokens of ${keys.length} origin(s)\n`);
      return EXIT.ok;
    }
    case "spent": {
      if (origin !== undefined) throw new UsageError("tokens spent takes no origin");
      printJson(await spentWindows(directory, spendLimits(values)));
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown tokens command "${sub ?? ""}" (list, show, rm, spent)`);
  }
}

/** A token as `tokens list` shows it: no secrets; what it cost (top-ups included) and, on a balance, what it bought and has left. */
export function listed({ services, paidMsat, createdAt, creditMsat, balanceMsat, topUps, pendingTopUp, paymentInDoubt, topUpInDoubt }: StoredToken) {
  return {
    services,
    paidMsat,
    createdAt: new Date(createdAt * 1000).toISOString(),
    ...(creditMsat === undefined ? {} : { creditMsat }),
    ...(balanceMsat === undefined ? {} : { balanceMsat }),
    ...(topUps === undefined ? {} : { topUps }),
    // Paid, its sending failed: the next request on the token sends it (the top-up itself is a secret, shown by `tokens show`).
    ...(pendingTopUp === undefined ? {} : { topUpPending: true }),
    // The wallet never said whether it (or its top-up) was paid: the next purchase (top-up) asks it (payment-in-doubt.ts).
    ...(paymentInDoubt === undefined ? {} : { paymentInDoubt }),
    ...(topUpInDoubt === undefined ? {} : { topUpInDoubt: true }),
  };
}

/** The spend windows as `tokens spent` and the MCP wallet show them: sats spent and the limit (null: none) of each. */
export async function spentWindows(directory: string, limits: SpendLimits) {
  const records = await fileLedger(directory).change((kept) => ({ records: kept, result: kept }));
  return windowsSpent(records, limits, Math.floor(Date.now() / 1000)).map(({ window, host, spentMsat, limitMsat }) => ({
    window,
    ...(host === undefined ? {} : { host }),
    spent_sats: Number(formatSats(spentMsat)),
    limit_sats: limitMsat === undefined ? null : Number(formatSats(limitMsat)),
  }));
}
