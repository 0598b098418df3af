import { toBase64 } from "../../bytes.ts";
import { formatChallenge, type CredentialHeaders } from "../../l402/index.ts";
import type { HeaderReader } from "../request.ts";
import type { PaymentScheme } from "./scheme.ts";

/**
 * L402 (and its older name LSAT): `Authorization: L402 <macaroon>:<preimage>`,
 * or the reference proxy's hex `Macaroon` / `Grpc-Metadata-Macaroon` headers
 * with the preimage as a last caveat. Verified by the paywall's verifier
 * (l402/cached-verifier.ts: HMAC and sha256 only, a credential proven once kept).
 * Its challenge is `L402 macaroon="…", invoice="…"`, then the same as `LSAT`
 * (l402/www-authenticate.ts), and the macaroon in the 402's body.
 */
export const l402Scheme: PaymentScheme = {
  name: "l402",
  label: "l402",
  credentialHeaders: ["authorization", "macaroon", "grpc-metadata-macaroon"],
  authorizations: ["L402", "LSAT"],
  carriesElsewhere: (headers) => headers.get("macaroon") !== null || headers.get("grpc-metadata-macaroon") !== null,
  read({ request, service, capabilities, verifier }) {
    const verified = verifier.verify(credentialHeaders(request.headers), { service: service.name, now: request.now, capabilities });
    return verified.ok ? { ok: true, value: { token: verified.value }, paidHash: verified.paidHash } : verified;
  },
  challenge: (parts) => ({ wwwAuthenticate: formatChallenge(parts.macaroon, parts.invoice), members: { macaroon: toBase64(parts.macaroon) } }),
};

const credentialHeaders = (headers: HeaderReader): CredentialHeaders => ({
  authorization: headers.get("authorization"),
  macaroon: headers.get("macaroon"),
  grpcMetadataMacaroon: headers.get("grpc-metadata-macaroon"),
});
