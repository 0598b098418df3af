import { microsPerCall } from "../bench/measure.ts";
import { verifyOurs, sha256OneBlock, sha256ManyBlocks, coldVerifyCompressions, NOW } from "../bench/verify-cases.ts";
import { decodeMacaroon, encodeMacaroon, sha256, hasValidSignature } from "../src/macaroon/index.ts";
import { createKeyring, mint, serviceCaveats, deriveRootKey, keyForToken } from "../src/l402/index.ts";
import { readCaveats, grantFor } from "../src/l402/caveats.ts";
import { decodeIdentifier } from "../src/l402/identifier.ts";
const keyring = createKeyring(new Uint8Array(32).fill(7));
const preimage = new Uint8Array(32).fill(9);
const m = mint({ keyring, paymentHash: sha256(preimage), caveats: serviceCaveats({ service: "svc", capabilities: ["read", "write"], validUntil: NOW + 3600 }) });
const bytes = encodeMacaroon(m.macaroon);
const mac = decodeMacaroon(bytes);
const ids = mac.caveats.map((c) => c.id);
const rk = deriveRootKey(keyring.current, mac.identifier);
const read = readCaveats(ids); if (!read.ok) throw 0;
const N = 20000;
for (let r = 0; r < 3; r++) {
  const t: Record<string, number> = {
    cold: await microsPerCall(verifyOurs, N),
    decodeMac: await microsPerCall(() => decodeMacaroon(bytes), N),
    decodeId: await microsPerCall(() => decodeIdentifier(mac.identifier), N),
    preimage: await microsPerCall(() => sha256(preimage), N),
    rootKey: await microsPerCall(() => deriveRootKey(keyring.current, mac.identifier), N),
    sig: await microsPerCall(() => hasValidSignature(mac, rk), N),
    readCaveats: await microsPerCall(() => readCaveats(ids), N),
    grant: await microsPerCall(() => grantFor(read.value, { service: "svc", capabilities: ["read"], now: NOW }), N),
  };
  const one = await microsPerCall(sha256OneBlock, N * 5), many = await microsPerCall(sha256ManyBlocks, N);
  const comp = (many - one) / 64, floor = coldVerifyCompressions() * comp;
  console.log(Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(2)}`).join("  "), ` floor ${floor.toFixed(2)} ratio ${(t.cold / floor).toFixed(2)}`);
}
import { decodeCaveat } from "../src/l402/caveats.ts";
import { fromUtf8 } from "../src/bytes.ts";
console.log(ids.map((b) => new TextDecoder().decode(b)));
for (let r = 0; r < 3; r++) console.log(
  "fromUtf8", (await microsPerCall(() => { for (const b of ids) fromUtf8(b); }, N)).toFixed(2),
  "decodeCaveat", (await microsPerCall(() => { for (const b of ids) decodeCaveat(b); }, N)).toFixed(2),
  "readCaveats", (await microsPerCall(() => readCaveats(ids), N)).toFixed(2));
