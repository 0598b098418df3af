import type { Hono } from "hono";
import { expect } from "vitest";
import { payInvoice } from "../../../dev/lnd-sim/payer.ts";
import type { Simulator } from "../../../dev/lnd-sim/server.ts";
import type { L402Variables } from "../../../src/index.ts";
import { attenuate, decodeMacaroon, encodeMacaroon, type Macaroon } from "../../../src/macaroon/index.ts";
import { parseChallenge, toBase64, toHex } from "../../../src/l402/index.ts";

/** A Hono app with the paywall mounted, and what buying from it gives a client (the middleware's usage tests). */
export type App = Hono<{ Variables: L402Variables }>;
export interface Bought {
  readonly authorization: string;
  readonly tokenId: string;
  readonly macaroon: Macaroon;
  readonly preimageHex: string;
}

/** Paying a 402's L402 challenge through the simulator the test file started (`sim()`, once its beforeAll has run). */
export function payingThrough(sim: () => Simulator) {
  const pay = async (unpaid: Response): Promise<Bought> => {
    expect(unpaid.status).toBe(402);
    const challenge = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(challenge.detail);
    const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, challenge.value.invoice);
    const preimageHex = paid.preimageHex as string;
    const macaroon = decodeMacaroon(challenge.value.macaroon);
    return { authorization: `L402 ${toBase64(challenge.value.macaroon)}:${preimageHex}`, tokenId: toHex(macaroon.identifier.slice(34)), macaroon, preimageHex };
  };
  const buy = async (app: App, path: string, init: RequestInit = {}): Promise<Bought> => pay(await app.request(path, init));
  return { pay, buy };
}

export const caveatsOf = (macaroon: Macaroon): string[] => macaroon.caveats.map((caveat) => new TextDecoder().decode(caveat.id));
/** What a holder can do with its token: append caveats (and keep its preimage). */
export const withCaveats = (token: Bought, ...caveats: string[]): string =>
  `L402 ${toBase64(encodeMacaroon(caveats.reduce((macaroon, text) => attenuate(macaroon, new TextEncoder().encode(text)), token.macaroon)))}:${token.preimageHex}`;
export const auth = (authorization: string, headers: Record<string, string> = {}): RequestInit => ({ headers: { Authorization: authorization, ...headers } });
