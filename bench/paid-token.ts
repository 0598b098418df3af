import { payInvoice } from "../dev/lnd-sim/payer.ts";
import type { Simulator } from "../dev/lnd-sim/server.ts";
import { parseChallenge, toBase64 } from "../src/l402/index.ts";

/** An Authorization value for `url`: its 402's invoice paid with the simulator's own wallet, as a client would, once. */
export async function paidAuthorization(url: URL, sim: Simulator): Promise<string> {
  const challenge = await fetch(url);
  const body = await challenge.text();
  const parsed = parseChallenge(challenge.headers.get("www-authenticate") ?? "");
  if (challenge.status !== 402 || !parsed.ok) throw new Error(`no L402 challenge from ${url.pathname}: HTTP ${challenge.status} ${body.slice(0, 200)}`);
  const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, parsed.value.invoice);
  if (paid.preimageHex === undefined) throw new Error(`the simulator could not pay ${url.pathname}'s invoice: ${paid.status} ${paid.failureReason}`);
  return `L402 ${toBase64(parsed.value.macaroon)}:${paid.preimageHex}`;
}
