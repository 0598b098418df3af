import { randomBytes } from "node:crypto";
import { attenuate, createMacaroon, encodeMacaroon, hasValidSignature } from "../macaroon/index.ts";
import {
  DEFAULT_LOCATION,
  deriveRootKey,
  describeMacaroon,
  encodeIdentifier,
  keyForToken,
  mint,
  namedServices,
  parseMasterKeys,
  toBase64,
  verify,
  type Keyring,
} from "../l402/index.ts";
import { EXIT, printJson, UsageError } from "./io.ts";
import { readCredential, readHex, readToken } from "./token-input.ts";
import { parseFlags } from "./flags.ts";

const encoder = new TextEncoder();

export function tokenCommand(args: string[]): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case "inspect":
      return inspect(rest);
    case "mint":
      return mintCommand(rest);
    case "attenuate":
      return attenuateCommand(rest);
    case "verify":
      return verifyCommand(rest);
    default:
      throw new UsageError(`unknown token command "${sub ?? ""}" (inspect, mint, attenuate, verify)`);
  }
}

function keyringFrom(masterKeys: string, from = "--master-key"): Keyring {
  const loaded = parseMasterKeys(masterKeys);
  if (!loaded.ok) throw new UsageError(`${from}: ${loaded.detail}`);
  return loaded.value;
}

/**
 * The master keys: `--master-key`, else `L402_MASTER_KEYS` from the
 * environment, which no other user of the machine can read (a flag's value
 * is in every user's `ps` and in the shell's history).
 */
function masterKeys(flag: string | undefined): Keyring | undefined {
  if (flag !== undefined) return keyringFrom(flag);
  const env = process.env["L402_MASTER_KEYS"];
  return env === undefined || env === "" ? undefined : keyringFrom(env, "L402_MASTER_KEYS");
}

function inspect(args: string[]): number {
  const { values, positionals } = parseFlags({ args, allowPositionals: true, options: { "master-key": { type: "string" } } });
  const token = readToken(single(positionals, "token"));
  const description = describeMacaroon(token.macaroon);
  // Only a key asked for: the environment's (set for mint and verify) does not change what inspect shows.
  const flag = values["master-key"];
  if (flag === undefined) {
    printJson(description);
    return EXIT.ok;
  }
  const keyring = keyringFrom(flag);
  const tokenId = description.tokenId === null ? undefined : readHex(description.tokenId, "token id");
  const master = tokenId === undefined ? undefined : keyForToken(keyring, tokenId);
  const signatureValid = master !== undefined && hasValidSignature(token.macaroon, deriveRootKey(master, token.macaroon.identifier));
  printJson({ ...description, signatureValid, ...(master === undefined ? { reason: tokenId ? "unknown_key" : "invalid_identifier" } : {}) });
  return EXIT.ok;
}

function mintCommand(args: string[]): number {
  const { values } = parseFlags({
    args,
    options: {
      "root-key": { type: "string" },
      "master-key": { type: "string" },
      "payment-hash": { type: "string" },
      caveat: { type: "string", multiple: true },
      location: { type: "string" },
    },
  });
  const paymentHash = readHex(required(values["payment-hash"], "--payment-hash"), "--payment-hash", 32);
  const caveats = (values.caveat ?? []).map((caveat) => encoder.encode(caveat));
  const location = values.location ?? DEFAULT_LOCATION;
  if (values["root-key"] !== undefined && values["master-key"] !== undefined) throw new UsageError("give --root-key or --master-key, not both");
  const keyring = values["root-key"] === undefined ? masterKeys(values["master-key"]) : undefined;
  if (values["root-key"] === undefined && keyring === undefined) throw new UsageError("give --root-key, or --master-key (or L402_MASTER_KEYS)");
  const macaroon =
    keyring !== undefined
      ? mint({ keyring, paymentHash, caveats, location }).macaroon
      : createMacaroon({
          rootKey: readHex(values["root-key"] as string, "--root-key"),
          identifier: encodeIdentifier(paymentHash, new Uint8Array(randomBytes(32))),
          caveats,
          location,
        });
  process.stdout.write(`${toBase64(encodeMacaroon(macaroon))}\n`);
  return EXIT.ok;
}

function attenuateCommand(args: string[]): number {
  const { values, positionals } = parseFlags({ args, allowPositionals: true, options: { caveat: { type: "string", multiple: true } } });
  const caveats = values.caveat ?? [];
  if (caveats.length === 0) throw new UsageError("give at least one --caveat condition=value");
  const { macaroon } = readToken(single(positionals, "token"));
  const narrowed = caveats.reduce((current, caveat) => attenuate(current, encoder.encode(caveat)), macaroon);
  process.stdout.write(`${toBase64(encodeMacaroon(narrowed))}\n`);
  return EXIT.ok;
}

function verifyCommand(args: string[]): number {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      "master-key": { type: "string" },
      service: { type: "string" },
      capability: { type: "string" },
      now: { type: "string" },
    },
  });
  const credential = readCredential(single(positionals, "credential"));
  const keyring = masterKeys(values["master-key"]);
  if (keyring === undefined) throw new UsageError("--master-key (or L402_MASTER_KEYS) is required");
  const now = values.now === undefined ? Math.floor(Date.now() / 1000) : unixTime(values.now);
  const service = values.service ?? firstService(credential.macaroon.caveats.map((caveat) => caveat.id));
  const result = verify(credential, {
    keyring,
    service,
    now,
    ...(values.capability === undefined ? {} : { capabilities: [values.capability] }),
  });
  if (!result.ok) {
    printJson({ ok: false, reason: result.reason, detail: result.detail });
    return EXIT.refused;
  }
  printJson({ ok: true, service, ...describeMacaroon(credential.macaroon), grant: result.value.grant });
  return EXIT.ok;
}

/** Without --service, check the token against the first service it names. */
function firstService(caveats: Uint8Array[]): string {
  const [service] = namedServices(caveats);
  if (service === undefined) throw new UsageError("the token names no service; give --service");
  return service;
}

function unixTime(value: string): number {
  if (!/^\d{1,12}$/.test(value)) throw new UsageError("--now must be unix seconds");
  return Number(value);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

function single(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`give exactly one ${what}`);
  return positionals[0] as string;
}
