import { randomBytes } from "node:crypto";
import { toHex } from "../l402/index.ts";
import { EXIT, UsageError } from "./io.ts";
import { tokenCommand } from "./token.ts";

const USAGE = `usage: l402-edge <command>

  keygen                                   a new master key (hex), for L402_MASTER_KEYS
  token inspect <token> [--master-key K]   decode a token (base64, hex, or "L402 mac:preimage")
  token mint (--root-key HEX | --master-key HEX) --payment-hash HEX [--caveat C]... [--location L]
  token attenuate <token> --caveat C [--caveat C]...
  token verify "<L402 mac:preimage>" --master-key K [--service S] [--capability C] [--now UNIX]
`;

function run(args: string[]): number {
  const [command, ...rest] = args;
  switch (command) {
    case "keygen":
      if (rest.length > 0) throw new UsageError("keygen takes no arguments");
      process.stdout.write(`${toHex(new Uint8Array(randomBytes(32)))}\n`);
      return EXIT.ok;
    case "token":
      return tokenCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`unknown command "${command}" (try: l402-edge help)`);
  }
}

function main(): void {
  try {
    process.exitCode = run(process.argv.slice(2));
  } catch (error) {
    // parseArgs reports unknown or malformed flags with a TypeError carrying a `code`.
    const known = error instanceof UsageError || (error instanceof TypeError && "code" in error);
    const message = known ? (error as Error).message : `unexpected error: ${String(error)}`;
    process.stderr.write(`l402-edge: ${message}\n`);
    process.exitCode = known ? EXIT.usage : 70;
  }
}

main();
