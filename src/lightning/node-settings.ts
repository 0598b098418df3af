import type { InvoiceBackend } from "./backend.ts";
import { clnRestBackend } from "./cln-rest.ts";
import { lnbitsBackend } from "./lnbits.ts";
import { lndRestBackend } from "./lnd-rest.ts";
import type { Network } from "./networks.ts";
import { nwcCallBackend, nwcClient, perCallSockets, type NwcConnection, type WebSocketFactory } from "./nwc/index.ts";
import { phoenixdBackend } from "./phoenixd.ts";

/**
 * How to reach the node (or wallet) that makes the invoices, whichever it is:
 * what `L402_BACKEND` and its own settings say once read (config/node-settings.ts reads
 * and checks them, for the template Worker and for `l402Paywall()` alike).
 */
export type NodeSettings = { readonly timeoutMs: number } & (
  | { readonly backend: "lnd"; readonly url: string; readonly macaroonHex: string }
  | { readonly backend: "lnbits"; readonly url: string; readonly invoiceKey: string }
  | { readonly backend: "phoenixd"; readonly url: string; readonly password: string }
  | { readonly backend: "cln"; readonly url: string; readonly rune: string }
  | { readonly backend: "nwc"; readonly connection: NwcConnection }
);

/**
 * The backend the settings name, checking invoices against `network` (absent:
 * the node's own; LNbits names none, so it needs one). NWC opens a relay
 * connection per call with `webSocket`.
 */
export function backendFromSettings(settings: NodeSettings, network: Network | undefined, webSocket: WebSocketFactory): InvoiceBackend {
  const { timeoutMs } = settings;
  const on = network === undefined ? {} : { network };
  switch (settings.backend) {
    case "lnd":
      return lndRestBackend({ url: settings.url, macaroonHex: settings.macaroonHex, timeoutMs, ...on });
    case "lnbits":
      return lnbitsBackend({ url: settings.url, invoiceKey: settings.invoiceKey, timeoutMs, ...on });
    case "phoenixd":
      return phoenixdBackend({ url: settings.url, password: settings.password, timeoutMs, ...on });
    case "cln":
      return clnRestBackend({ url: settings.url, rune: settings.rune, timeoutMs, ...on });
    case "nwc":
      return nwcCallBackend(nwcClient(settings.connection, perCallSockets(settings.connection.relay, webSocket, timeoutMs), timeoutMs), network);
  }
}
