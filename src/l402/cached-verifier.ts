import { sha256 } from "../macaroon/index.ts";
import { credentialSource, parseAuthorization, parseMacaroonHeader, type CredentialHeaders } from "./credential.ts";
import type { Keyring } from "./keyring.ts";
import { fail, type Result } from "./result.ts";
import { authenticate, grantOf, type Authenticated, type VerifiedToken, type VerifyOptions } from "./verify.ts";

/**
 * A verification's result and, when the request presented a preimage, its
 * sha256 (`paidHash`): proof that its invoice was paid, even when the
 * credential is refused.
 */
export type Verification = Result<VerifiedToken> & { readonly paidHash: Uint8Array | undefined };

export interface VerifierLimits {
  /** Credentials kept (default 4096). */
  readonly maxEntries?: number;
  /** Characters of credential text kept, and `ITEM_CHARS` for each caveat and caveat value each holds, in all (default 2 MiB). */
  readonly maxChars?: number;
}

/**
 * Verification with a memory: a credential proven once (its exact text, macaroon
 * and preimage) is not decoded, hashed or HMAC'd again. A hit still applies
 * everything that depends on the request or the time (service, capabilities,
 * expiry: `grantOf`); metering and revocation are the caller's, as for a miss.
 *
 * What it never does: keep a failure (a refused credential is checked afresh
 * every time, so no later valid one can be refused by it); outlive its keyring
 * (a verifier belongs to one keyring, and a configuration without a key builds a
 * new one); match another preimage (the text includes it).
 *
 * Bounds, per isolate: `maxEntries` credentials and `maxChars` of their text
 * and what their caveats hold once read (each caveat, each capability or
 * service in a set, counted as `ITEM_CHARS`: a holder may append caveats
 * listing hundreds of capabilities, whose sets weigh far more than their text),
 * oldest dropped first. At the defaults, with ~350-character credentials, that
 * is 4096 entries of about 1.5 KB (text, ids, the caveats read): ~6 MB at most.
 */
export function createVerifier(keyring: Keyring, limits: VerifierLimits = {}) {
  const maxEntries = limits.maxEntries ?? 4096;
  const maxChars = limits.maxChars ?? 2 * 1024 * 1024;
  // One map per header form, keyed by the header's text as received: no key to build.
  const proven = { authorization: new Map<string, Authenticated>(), macaroon: new Map<string, Authenticated>() };
  /** Every kept text in order of arrival, for dropping the oldest. */
  const arrivals: { form: keyof typeof proven; text: string; weight: number }[] = [];
  let head = 0;
  let chars = 0;

  const keep = (form: keyof typeof proven, text: string, authenticated: Authenticated) => {
    const weight = weightOf(text, authenticated);
    proven[form].set(text, authenticated);
    arrivals.push({ form, text, weight });
    chars += weight;
    while (arrivals.length - head > maxEntries || chars > maxChars) {
      const oldest = arrivals[head++] as { form: keyof typeof proven; text: string; weight: number };
      proven[oldest.form].delete(oldest.text);
      chars -= oldest.weight;
    }
    // Compact the queue now and then, so dropped arrivals do not pile up.
    if (head > maxEntries) {
      arrivals.splice(0, head);
      head = 0;
    }
  };

  return {
    verify(headers: CredentialHeaders, options: Omit<VerifyOptions, "keyring">): Verification {
      const source = credentialSource(headers);
      if (source === undefined) return { ...fail("missing", "no L402 credential in the request"), paidHash: undefined };
      const known = proven[source.form].get(source.text);
      if (known !== undefined) return { ...grantOf(known, options), paidHash: known.paymentHash };
      const parsed = source.form === "authorization" ? parseAuthorization(source.text) : parseMacaroonHeader(source.text);
      if (!parsed.ok) return { ...parsed, paidHash: undefined };
      const authenticated = authenticate(parsed.value, keyring);
      // Authenticated, the token's payment hash is the preimage's sha256: no second hash.
      if (!authenticated.ok) return { ...authenticated, paidHash: sha256(parsed.value.preimage) };
      keep(source.form, source.text, authenticated.value);
      return { ...grantOf(authenticated.value, options), paidHash: authenticated.value.paymentHash };
    },
    /** Credentials kept, and their characters: for tests of the bounds. */
    get size() {
      return proven.authorization.size + proven.macaroon.size;
    },
    get chars() {
      return chars;
    },
  };
}

export type Verifier = ReturnType<typeof createVerifier>;

/** What one caveat, or one value in a caveat's set, costs kept (its string and its entry), in characters of text: an estimate. */
const ITEM_CHARS = 32;

/** A kept credential's weight: its text, and what its caveats hold once read. */
function weightOf(text: string, { caveats }: Authenticated): number {
  let items = caveats.conditions.length;
  for (const value of caveats.latest.values()) if (value instanceof Set) items += value.size;
  return text.length + items * ITEM_CHARS;
}
