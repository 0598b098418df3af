import { LightningError, type InvoiceBackend, type LightningFailureReason } from "../lightning/index.ts";

/**
 * What this isolate last saw of invoice issuance, for health: a node can answer
 * `getinfo` well while every invoice it makes is refused (an expiry a wallet
 * will not honour, a clock that is off), and each refusal's 503 says only that
 * no invoice could be made. Per isolate, as the backend object is: another
 * isolate's failures are in the logs, not here.
 */
export interface IssuanceRecord {
  /** Unix seconds of the last invoice made, or null. */
  readonly lastIssuedAt: number | null;
  readonly lastFailure: IssuanceFailure | null;
}

export interface IssuanceFailure {
  /** Unix seconds. */
  readonly at: number;
  readonly kind: LightningFailureReason;
  /**
   * What was wrong with the node's answer, for `invalid_response` only: that
   * detail is the paywall's own words. Other kinds' details may quote the node
   * or name where it is (an address is not for a public endpoint): logs only.
   */
  readonly detail?: string;
}

/** The backend, recording each `createInvoice` outcome (lookups and getinfo are health's own business). */
export function recordingIssuance(backend: InvoiceBackend): { readonly backend: InvoiceBackend; record(): IssuanceRecord } {
  const now = () => Math.floor(Date.now() / 1000);
  let lastIssuedAt: number | null = null;
  let lastFailure: IssuanceFailure | null = null;
  return {
    backend: {
      lookupInvoice: (paymentHash) => backend.lookupInvoice(paymentHash),
      getInfo: () => backend.getInfo(),
      async createInvoice(request) {
        try {
          const invoice = await backend.createInvoice(request);
          lastIssuedAt = now();
          return invoice;
        } catch (error) {
          if (error instanceof LightningError) {
            lastFailure = { at: now(), kind: error.reason, ...(error.reason === "invalid_response" ? { detail: error.message } : {}) };
          }
          throw error;
        }
      },
    },
    record: () => ({ lastIssuedAt, lastFailure }),
  };
}
