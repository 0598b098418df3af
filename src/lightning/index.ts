export {
  LightningError,
  type Invoice,
  type InvoiceBackend,
  type InvoiceRequest,
  type InvoiceState,
  type InvoiceStatus,
  type LightningFailureReason,
  type NodeInfo,
} from "./backend.ts";
export { withBreaker, type BreakerOptions } from "./breaker.ts";
export { readInvoice, routeHintFeeMsat } from "./bolt11.ts";
export { clnRestBackend, type ClnRestConfig } from "./cln-rest.ts";
export { lnbitsBackend, type LnbitsConfig } from "./lnbits.ts";
export { lndRestBackend, type LndRestConfig } from "./lnd-rest.ts";
export { fetchUpgradeWebSocket, heldSocket, nwcBackend, nwcCallBackend, nwcClient, parseNwcUri, perCallSockets, publicKeyOf, platformWebSocket, runtimeWebSocket, type HeldSocket, type NwcBackendConfig, type NwcCall, type NwcConnection, type SocketSource, type WebSocketFactory, type WebSocketLike } from "./nwc/index.ts";
export { backendFromSettings, type NodeSettings } from "./node-settings.ts";
export { phoenixdBackend, type PhoenixdConfig } from "./phoenixd.ts";
export { INVOICE_PREFIXES, invoiceNetwork, isNetwork, type Network } from "./networks.ts";
