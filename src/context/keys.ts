import * as v from "valibot";
import { concatBytes, fromBase64UrlStrict } from "../bytes.ts";

/**
 * The payment context's signing keys, as the operator gives them
 * (`L402_CONTEXT_KEYS`, a Workers secret): Ed25519 private JWKs, each with a
 * `kid`. The first signs; the others are only published in the JWKS, so an
 * origin still verifies what they signed until it expires (rotation). A JWK's
 * `x`, when given, must be the public key of its `d`: checked when the keys
 * are imported (importContextKeys), as only WebCrypto derives it.
 */
export interface ContextKeySpec {
  readonly kid: string;
  /** The 32-byte Ed25519 seed (the JWK's `d`). */
  readonly seed: Uint8Array;
  /** The public key the JWK states, if it states one (base64url). */
  readonly x: string | undefined;
}

/** An Ed25519 public key as the JWKS publishes it: never a private member. */
export interface PublicContextJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
  readonly kid: string;
  readonly alg: "EdDSA";
  readonly use: "sig";
}

/** WebCrypto's key, named through `crypto`: the same under Workers' types and Node's. */
export type SigningKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** The keys ready to use: the signer, and the public set served at `/.well-known/jwks.json`. */
export interface ContextKeys {
  readonly signer: { readonly kid: string; readonly key: SigningKey };
  readonly jwks: { readonly keys: readonly PublicContextJwk[] };
}

const seedOf = v.pipe(
  v.string("must be a string"),
  v.transform((text) => fromBase64UrlStrict(text)),
  v.custom<Uint8Array>((bytes) => bytes instanceof Uint8Array && bytes.length === 32, "must be a 32-byte Ed25519 key in base64url"),
);

/** One private JWK; members WebCrypto exports beside these (`key_ops`, `ext`) are let be. */
const privateJwk = v.pipe(
  v.looseObject({
    kty: v.literal("OKP", 'must be "OKP"'),
    crv: v.literal("Ed25519", 'must be "Ed25519"'),
    kid: v.pipe(v.string("must be a string"), v.regex(/^[\w.:-]{1,64}$/, "must be 1 to 64 letters, digits or . _ : -")),
    d: seedOf,
    x: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[\w-]{43}$/, "must be a 32-byte public key in base64url"))),
    alg: v.optional(v.picklist(["EdDSA", "Ed25519"], 'must be "EdDSA" or "Ed25519"')),
  }, "must be an Ed25519 private JWK (an object with kty, crv, kid and d)"),
  v.transform(({ kid, d, x }): ContextKeySpec => ({ kid, seed: d, x })),
);

/** `L402_CONTEXT_KEYS`: JSON of a list of private JWKs (or a JWKS of them), the signer first, each `kid` once. */
export const contextKeysSetting = v.pipe(
  v.string("must be JSON: a list of Ed25519 private JWKs"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return JSON.parse(dataset.value) as unknown;
    } catch {
      addIssue({ message: "is not valid JSON" });
      return NEVER;
    }
  }),
  v.union([v.array(v.unknown()), v.pipe(v.object({ keys: v.array(v.unknown()) }), v.transform(({ keys }) => keys))], "must be a list of Ed25519 private JWKs, or a JWKS of them"),
  v.array(privateJwk),
  v.minLength(1, "must hold at least one key"),
  v.check((specs) => new Set(specs.map((spec) => spec.kid)).size === specs.length, "must not use a kid twice"),
);

/** PKCS #8's fixed prefix for an Ed25519 private key (RFC 8410): WebCrypto imports a bare seed this way on every runtime. */
const PKCS8_ED25519 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

/** The seed as WebCrypto imports an Ed25519 key: PKCS #8, in a buffer of its own (BufferSource takes no view of a shared one). */
const pkcs8 = (seed: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(concatBytes(PKCS8_ED25519, seed));

/**
 * The keys imported into WebCrypto (once per isolate: the caller keeps the
 * promise). The signer is not extractable; each public key is derived from
 * its seed. A JWK whose `x` is not its seed's public key is refused.
 */
export async function importContextKeys(specs: readonly ContextKeySpec[]): Promise<ContextKeys> {
  const published: PublicContextJwk[] = [];
  for (const spec of specs) {
    const extractable = await crypto.subtle.importKey("pkcs8", pkcs8(spec.seed), { name: "Ed25519" }, true, ["sign"]);
    const { x } = (await crypto.subtle.exportKey("jwk", extractable)) as { readonly x?: string };
    if (x === undefined) throw new Error("L402_CONTEXT_KEYS: WebCrypto derived no public key");
    if (spec.x !== undefined && spec.x !== x) throw new Error(`L402_CONTEXT_KEYS: the key "${spec.kid}" states an x that is not its d's public key`);
    published.push({ kty: "OKP", crv: "Ed25519", x, kid: spec.kid, alg: "EdDSA", use: "sig" });
  }
  const [first] = specs;
  if (first === undefined) throw new Error("L402_CONTEXT_KEYS: no key");
  const key = await crypto.subtle.importKey("pkcs8", pkcs8(first.seed), { name: "Ed25519" }, false, ["sign"]);
  return { signer: { kid: first.kid, key }, jwks: { keys: published } };
}

/** Where the public keys are served, as OpenID Connect and most JWT issuers serve theirs. */
export const JWKS_PATH = "/.well-known/jwks.json";
