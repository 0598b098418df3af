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
export { readInvoice } from "./bolt11.ts";
export { lndRestBackend, type LndRestConfig } from "./lnd-rest.ts";
export { INVOICE_PREFIXES, invoiceNetwork, isNetwork, type Network } from "./networks.ts";
