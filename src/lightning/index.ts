export {
  LightningError,
  type Invoice,
  type InvoiceBackend,
  type InvoiceRequest,
  type InvoiceState,
  type InvoiceStatus,
  type LightningErrorKind,
  type NodeInfo,
} from "./backend.ts";
export { withBreaker, type BreakerOptions } from "./breaker.ts";
export { DEFAULT_EXPIRY_SECONDS, readInvoice, type InvoiceFields } from "./bolt11.ts";
export { checkInvoice } from "./invoice-check.ts";
export { lndRestBackend, type LndRestConfig } from "./lnd-rest.ts";
export { INVOICE_PREFIXES, invoiceNetwork, isNetwork, type Network } from "./networks.ts";
