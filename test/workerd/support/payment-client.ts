import { expect } from "vitest";
import { payInvoice } from "../../../dev/lnd-sim/payer.ts";
import { formatPaymentCredential, parsePaymentChallenges, readChargeRequest, type PaymentChallenge } from "../../../src/payment/index.ts";
import { call, sim } from "./paywall-client.ts";

/** A client of the Payment scheme (lightning charge) against the Worker under test: the challenge offered, its invoice paid through the simulator, the credential made. */
export interface Offered {
  readonly challenge: PaymentChallenge;
  readonly header: string;
  readonly body: Record<string, unknown>;
  readonly response: Response;
}

export async function offer(path: string): Promise<Offered> {
  const response = await call(path);
  expect(response.status).toBe(402);
  const header = response.headers.get("www-authenticate") ?? "";
  const [challenge] = parsePaymentChallenges(header);
  if (challenge === undefined) throw new Error(`no Payment challenge in ${header}`);
  return { challenge, header, body: (await response.json()) as Record<string, unknown>, response };
}

export const invoiceOf = (challenge: PaymentChallenge): string => {
  const request = readChargeRequest(challenge.request);
  if (!request.ok) throw new Error(request.detail);
  return request.value.methodDetails.invoice;
};

export async function pay(invoice: string): Promise<string> {
  const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, invoice);
  expect(paid.status).toBe("SUCCEEDED");
  return paid.preimageHex as string;
}

export const credentialFor = (challenge: PaymentChallenge, preimage: string) => formatPaymentCredential({ challenge, payload: { preimage } });
export const withPayment = (path: string, authorization: string) => call(path, { headers: { Authorization: authorization } });
