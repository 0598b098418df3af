import type { FiatRate, ServiceConfig } from "../config/index.ts";
import type { Keyring } from "../l402/index.ts";
import type { InvoiceBackend } from "../lightning/index.ts";
import type { PaywallPorts } from "./ports.ts";
import type { PaymentScheme } from "./schemes/scheme.ts";

/** A paywall's settings, validated and compiled (options.ts; the template Worker's from its env): what a paywall runs on. */
export interface PaywallSettings {
  readonly services: readonly ServiceConfig[];
  /** Every scheme the paywall takes, the built-in ones first; a service offers those it lists. */
  readonly schemes: readonly PaymentScheme[];
  readonly keyring: Keyring;
  readonly backend: InvoiceBackend;
  readonly ports: PaywallPorts;
  readonly invoiceExpirySeconds: number;
  readonly memo: string;
  readonly challengeCacheSeconds: number;
  readonly mintRetryAfterSeconds: number;
  readonly location: string;
  readonly fiatRate: FiatRate | undefined;
  /** Services in shadow mode add it to every answer (shadow.ts: `X-L402-Notice`), e.g. that the API will become paid; undefined: no header. */
  readonly shadowNotice?: string | undefined;
}
