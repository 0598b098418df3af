import { hexToBytes } from "../../bytes.ts";
import { fail, succeed, type Result } from "../../l402/index.ts";

/** What a `nostr+walletconnect://` URI holds (NIP-47): the wallet's key, a relay, the client's secret. */
export interface NwcConnection {
  /** x-only, hex. */
  readonly walletPubkey: string;
  /** ws:// or wss://: the first the URI lists (wallets list their own relay first; one connection is all a call needs). */
  readonly relay: string;
  readonly secret: Uint8Array;
}

/** Parses a connection URI. Failures never quote it: it carries a secret key. */
export function parseNwcUri(text: string): Result<NwcConnection, "invalid_uri"> {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return fail("invalid_uri", "is not a nostr+walletconnect:// URI");
  }
  if (url.protocol !== "nostr+walletconnect:" && url.protocol !== "nostrwalletconnect:") return fail("invalid_uri", "is not a nostr+walletconnect:// URI");
  // The wallet key is the URI's host (or, in the opaque form, its path).
  const walletPubkey = (url.hostname || url.pathname.replace(/^\/+/, "")).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(walletPubkey)) return fail("invalid_uri", "names no wallet public key (64 hex characters)");
  const relays = url.searchParams.getAll("relay");
  if (relays.length === 0 || !relays.every((relay) => /^wss?:\/\/[^\s]+$/.test(relay) && URL.canParse(relay))) return fail("invalid_uri", "needs at least one relay=ws(s)://… parameter");
  const secret = url.searchParams.get("secret") ?? "";
  if (!/^[0-9a-fA-F]{64}$/.test(secret)) return fail("invalid_uri", "needs a secret=<64 hex characters> parameter");
  return succeed({ walletPubkey, relay: relays[0] as string, secret: hexToBytes(secret.toLowerCase()) });
}
