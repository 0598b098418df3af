/** Bitcoin networks and their BOLT 11 prefixes (`ln` + prefix + amount). */
export const INVOICE_PREFIXES = { mainnet: "bc", testnet: "tb", signet: "tbs", regtest: "bcrt" } as const;

export type Network = keyof typeof INVOICE_PREFIXES;

export const isNetwork = (value: string): value is Network => Object.hasOwn(INVOICE_PREFIXES, value);

/** The network an invoice is for, read from its prefix; undefined for anything else. */
export function invoiceNetwork(paymentRequest: string): Network | undefined {
  const match = /^ln(bcrt|tbs|tb|bc)\d/.exec(paymentRequest.toLowerCase());
  const prefix = match?.[1];
  return (Object.keys(INVOICE_PREFIXES) as Network[]).find((network) => INVOICE_PREFIXES[network] === prefix);
}
