import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { importMacaroon } from "macaroon";
import { decodeMacaroon, encodeMacaroon, sha256 as fastSha256 } from "../src/macaroon/index.ts";
import {
  createKeyring,
  createVerifier,
  deriveRootKey,
  formatAuthorization,
  keyForToken,
  mint,
  serviceCaveats,
  toBase64,
  toHex,
  verify,
  type CredentialHeaders,
} from "../src/l402/index.ts";

/**
 * One verification of an L402 token with 3 caveats, done by each implementation
 * the same way: decode the binary macaroon, check the preimage, derive the root
 * key, check the signature chain, check the caveats.
 */
export const NOW = 1_800_000_000;
const KEYGEN = new TextEncoder().encode("macaroons-key-generator");
const keyring = createKeyring(new Uint8Array(32).fill(7));
const preimage = new Uint8Array(32).fill(9);

/** Built on first use: workerd allows no random values at module scope. */
let fixture: { tokenBytes: Uint8Array; rootKey: Uint8Array; identifier: Uint8Array; caveats: Uint8Array[] } | undefined;
function token() {
  if (fixture === undefined) {
    const minted = mint({
      keyring,
      paymentHash: sha256(preimage),
      caveats: serviceCaveats({ service: "svc", capabilities: ["read", "write"], validUntil: NOW + 3600 }),
    });
    const { identifier, caveats } = minted.macaroon;
    fixture = {
      tokenBytes: encodeMacaroon(minted.macaroon),
      rootKey: deriveRootKey(keyring.current, identifier),
      identifier,
      caveats: caveats.map((c) => c.id),
    };
  }
  return fixture;
}

/** Our verifier; `mac` swaps the HMAC primitive as the Worker does. */
const keyrings = new Map<SyncHmac | undefined, ReturnType<typeof createKeyring>>([[undefined, keyring]]);
export function verifyOurs(mac?: SyncHmac): boolean {
  const { tokenBytes } = token();
  let ring = keyrings.get(mac);
  if (ring === undefined) keyrings.set(mac, (ring = createKeyring(new Uint8Array(32).fill(7), [], mac)));
  return verify({ macaroon: decodeMacaroon(tokenBytes), preimage }, { keyring: ring, service: "svc", capabilities: ["read"], now: NOW }).ok;
}

const caveatCheck = (condition: string): string | null => {
  const [name, value] = condition.split("=", 2) as [string, string];
  if (name === "services") return value.split(",").some((s) => s.startsWith("svc:")) ? null : "service";
  if (name === "svc_capabilities") return value.split(",").includes("read") ? null : "capability";
  if (name === "svc_valid_until") return NOW < Number(value) ? null : "expired";
  return null;
};

/** A credential already proven: what the paywall's verifier does on a repeat request (l402/cached-verifier.ts). */
let warm: { verifier: ReturnType<typeof createVerifier>; headers: CredentialHeaders } | undefined;
export function verifyWarm(): boolean {
  if (warm === undefined) {
    const authorization = formatAuthorization(toBase64(token().tokenBytes), toHex(preimage));
    warm = { verifier: createVerifier(keyring), headers: { authorization, macaroon: null, grpcMetadataMacaroon: null } };
  }
  return warm.verifier.verify(warm.headers, { service: "svc", capabilities: ["read"], now: NOW }).ok;
}

/** js-macaroon (macaroon@3.0.4), given the same derived root key. */
export function verifyJsMacaroon(): boolean {
  const theirs = importMacaroon(token().tokenBytes);
  const identifier = theirs.identifier;
  if (!equal(sha256(preimage), identifier.subarray(2, 34))) return false;
  const master = keyForToken(keyring, identifier.subarray(34, 66));
  if (master === undefined) return false;
  theirs.verify(deriveRootKey(master, identifier), caveatCheck);
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/* The signature chain alone (key derivation, identifier, 3 caveats), per HMAC provider. */

export type SyncHmac = (key: Uint8Array, message: Uint8Array) => Uint8Array;
export function chainWith(h: SyncHmac): Uint8Array {
  const { rootKey, identifier, caveats } = token();
  let sig = h(h(KEYGEN, rootKey), identifier);
  for (const caveat of caveats) sig = h(sig, caveat);
  return sig;
}

export const chainNoble = (): Uint8Array => chainWith((key, message) => hmac(sha256, key, message));

export async function chainWebCrypto(subtle: typeof crypto.subtle): Promise<Uint8Array> {
  const step = async (key: Uint8Array, message: Uint8Array) => {
    const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await subtle.sign("HMAC", k, message));
  };
  const { rootKey, identifier, caveats } = token();
  let sig = await step(await step(KEYGEN, rootKey), identifier);
  for (const caveat of caveats) sig = await step(sig, caveat);
  return sig;
}

/*
 * The floor of a cold verification: the SHA-256 compressions it cannot avoid,
 * each at the cost of one compression of fast-hmac.ts (the hash the
 * verification runs).
 */

/** Compressions to hash `bytes` bytes (the message, the 0x80 byte and the 8-byte length, in 64-byte blocks). */
const blocks = (bytes: number) => Math.ceil((bytes + 9) / 64);
/** One HMAC of a message: the key's two pad blocks (none when its pads are kept), the inner hash's message blocks, the outer hash's digest block. */
const hmacCompressions = (padsKept: boolean, messageBytes: number) => (padsKept ? 0 : 2) + blocks(64 + messageBytes) - 1 + blocks(64 + 32) - 1;
/** keyring.ts's label before the identifier in a root key's derivation. */
const ROOT_KEY_LABEL_BYTES = "l402-edge/root-key/v1".length;

/**
 * What a cold `verifyOurs` hashes, counted from the token's own lengths: the
 * preimage; the root key (master key's pads kept: label and identifier); the
 * macaroon key (the key generator's pads kept: the root key); the identifier
 * under that fresh key; each caveat under the signature before it.
 */
export function coldVerifyCompressions(): number {
  const { identifier, caveats } = token();
  return (
    blocks(preimage.length) +
    hmacCompressions(true, ROOT_KEY_LABEL_BYTES + identifier.length) +
    hmacCompressions(true, 32) +
    hmacCompressions(false, identifier.length) +
    caveats.reduce((sum, caveat) => sum + hmacCompressions(false, caveat.length), 0)
  );
}

/** One compression's cost is the slope between these: 65 blocks and 1 block through the same `sha256`. */
export const SHA256_BLOCKS_APART = 64;
const oneBlock = new Uint8Array(64 - 9);
const manyBlocks = new Uint8Array(64 * (SHA256_BLOCKS_APART + 1) - 9);
export const sha256OneBlock = (): Uint8Array => fastSha256(oneBlock);
export const sha256ManyBlocks = (): Uint8Array => fastSha256(manyBlocks);
