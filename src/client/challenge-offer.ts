import { decodeMacaroon } from "../macaroon/index.ts";
import { decodeIdentifier, namedServices, parseChallenge, toHex } from "../l402/index.ts";
import { readInvoice } from "../lightning/index.ts";
import { L402Error } from "./types.ts";

/** A 402 challenge read and checked: what paying it would buy, and for how much. */
export interface Offer {
  readonly macaroon: Uint8Array;
  readonly invoice: string;
  readonly priceMsat: bigint;
  readonly services: readonly string[];
  readonly paymentHash: string;
}

/** A 402, or the gRPC form of one (HTTP 200, grpc-status 13, with the challenge headers). */
export const isChallenge = (response: Response): boolean =>
  response.status === 402 || (response.headers.get("grpc-status") === "13" && response.headers.has("www-authenticate"));

/**
 * Reads the challenge and refuses one that cannot be paid safely: no L402
 * challenge, an invoice without an amount, or a macaroon not bound to the
 * invoice's payment hash (paying it would buy nothing).
 */
export function readOffer(response: Response): Offer {
  const parsed = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (!parsed.ok) throw new L402Error("bad_challenge", `the server's 402 has no usable L402 challenge: ${parsed.detail}`);
  const { macaroon, invoice } = parsed.value;
  const read = readInvoice(invoice);
  if (!read.ok) throw new L402Error("bad_challenge", `the challenge's ${read.detail.replace(/^the /, "")}`);
  const { amountMsat, paymentHash } = read.value;
  if (amountMsat === undefined) throw new L402Error("bad_challenge", "the challenge's invoice has no amount");
  const decoded = decodeMacaroon(macaroon);
  const identifier = decodeIdentifier(decoded.identifier);
  if (!identifier.ok || toHex(identifier.value.paymentHash) !== paymentHash) {
    throw new L402Error("bad_challenge", "the challenge's macaroon is not bound to its invoice");
  }
  return { macaroon, invoice, priceMsat: amountMsat, services: namedServices(decoded.caveats.map((c) => c.id)), paymentHash };
}
