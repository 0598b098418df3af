import { describe, expect, it } from "vitest";
import { createKeyring } from "../../src/l402/index.ts";
import type { InvoiceBackend } from "../../src/lightning/index.ts";
import { l402Paywall, memoryPorts, PaywallConfigError, type PaywallOptions } from "../../src/index.ts";

/**
 * What l402Paywall() refuses when it is made (paywall/options.ts): options it
 * does not know, services that need a port they were not given, schemes that
 * do not hold together, prices a node cannot invoice. Nothing here is asked
 * of the node.
 */
const keyring = createKeyring(new Uint8Array(32).fill(5));
const unasked = () => Promise.reject(new Error("the node is never asked when the middleware is made"));
const backend: InvoiceBackend = { createInvoice: unasked, lookupInvoice: unasked, getInfo: unasked };

/** What l402Paywall() refuses a service for, with these ports: none when it is made. */
const problems = (service: NonNullable<PaywallOptions["service"]>, ports: NonNullable<PaywallOptions["ports"]> = {}): readonly string[] => {
  try {
    l402Paywall({ service, keyring, backend, ports });
    return [];
  } catch (error) {
    return (error as PaywallConfigError).problems;
  }
};

describe("l402Paywall's options", () => {
  it("an option, port or invoice setting it does not know is a configuration error naming it (a typo would leave its default, or no port)", () => {
    const misspelled = { service: { name: "api", price_sats: 1 }, keyring, backend, challenge_cache_seconds: 0, ports: { mintLimitter: memoryPorts().mintLimiter }, invoice: { expiry_seconds: 60 } } as unknown as PaywallOptions;
    expect(() => l402Paywall(misspelled)).toThrow(PaywallConfigError);
    try {
      l402Paywall(misspelled);
    } catch (error) {
      expect((error as PaywallConfigError).problems).toEqual(['has an unknown setting "challenge_cache_seconds"', 'ports: has an unknown setting "mintLimitter"', 'invoice: has an unknown setting "expiry_seconds"']);
    }
    // Hono's own options are known here.
    expect(() => l402Paywall({ service: { name: "api", price_sats: 1 }, keyring, backend, cors: { origin: "*" }, clientAddress: () => null })).not.toThrow();
  });

  it("a price in part of a sat on a node whose invoices take whole sats (LNbits, phoenixd) is a configuration error: every invoice would be refused", () => {
    const whole = { ...backend, wholeSats: true };
    expect(() => l402Paywall({ service: { name: "api", price_msat: 1500 }, keyring, backend: whole })).toThrow(/service\.price_msat: this backend's invoices are in whole sats/);
    expect(() => l402Paywall({ services: [{ name: "a", match: ["/a/*"], price_sats: 1, price_rules: [{ query: { size: "large" }, price_msat: 2500 }] }], keyring, backend: whole })).toThrow(/services "a"\.price_rules\[0\]\.price_msat: this backend's invoices are in whole sats/);
    expect(() => l402Paywall({ service: { name: "api", price_msat: 2000 }, keyring, backend: whole })).not.toThrow();
    expect(() => l402Paywall({ service: { name: "api", price_msat: 1500 }, keyring, backend })).not.toThrow();
    // A balance service invoices its credit offers, in whole sats; its prices are debits.
    expect(() => l402Paywall({ service: { name: "api", price_msat: 500, balance: { amounts_sats: [10] } }, keyring, backend: whole, ports: memoryPorts() })).not.toThrow();
  });

  it("a service that needs a port it was not given is a configuration error naming both", () => {
    const make = () => l402Paywall({ services: [{ name: "m", price_sats: 1, uses: 2 }, { name: "r", match: ["/r/*"], price_sats: 1, revocable: true }], keyring, backend });
    expect(make).toThrow(PaywallConfigError);
    expect(make).toThrow(/services "m"\.uses: needs a meter port \(ports\.meter\)/);
    expect(make).toThrow(/services "r"\.revocable: needs a revocations port \(ports\.revocations\)/);
    expect(() => l402Paywall({ service: { name: "a b", price_sats: 0 }, keyring, backend })).toThrow(/service\.name: must be letters.*service\.price_sats: must be a positive integer/);
  });

  it("the Payment scheme: whole sats, a spent-charges port unless metered, and browsers keep L402", () => {
    expect(problems({ name: "p", price_msat: 1500, schemes: ["mpp"] }, memoryPorts())).toEqual(['service.price_msat: must be whole sats for the "mpp" scheme (its lightning charge prices in sats)']);
    expect(problems({ name: "p", price_sats: 1, schemes: ["mpp"] })).toEqual(["service.schemes: needs a spentCharges port (ports.spentCharges) (each Payment credential is single use)"]);
    expect(problems({ name: "p", price_sats: 1, uses: 3, schemes: ["mpp"] }, { meter: memoryPorts().meter })).toEqual([]);
    expect(problems({ name: "p", price_sats: 1, browser: true, schemes: ["mpp"] }, memoryPorts())).toEqual(['service.browser: needs the "l402" scheme (the browser\'s cookie holds an L402 credential)']);
    expect(problems({ name: "p", price_sats: 1, schemes: [] }, memoryPorts())).toEqual(['service.schemes: must list "l402", "mpp", "x402" or several of them']);
    expect(problems({ name: "p", price_sats: 1, schemes: ["mpp", "mpp"] }, memoryPorts())).toEqual(["service.schemes: lists a scheme twice"]);
  });

  it("x402: a lookup-limiter port (the node is asked about invoice-only payments), a spent-charges port unless metered, no balance", () => {
    const { lookupLimiter, spentCharges, meter, balances } = memoryPorts();
    expect(problems({ name: "x", price_msat: 1500, schemes: ["l402", "x402"] }, { lookupLimiter, spentCharges })).toEqual([]);
    expect(problems({ name: "x", price_sats: 1, schemes: ["x402"] }, { spentCharges })).toEqual([
      "service.schemes: needs a lookupLimiter port (ports.lookupLimiter) (an x402 payment may name its invoice only, and the node is asked)",
    ]);
    expect(problems({ name: "x", price_sats: 1, schemes: ["x402"] }, { lookupLimiter })).toEqual(["service.schemes: needs a spentCharges port (ports.spentCharges) (each x402 payment is single use)"]);
    expect(problems({ name: "x", price_sats: 1, uses: 3, schemes: ["x402"] }, { lookupLimiter, meter })).toEqual([]);
    expect(problems({ name: "x", price_sats: 1, balance: { amounts_sats: [100] }, schemes: ["x402"] }, { lookupLimiter, spentCharges, balances })).toEqual([
      'service.balance: needs the schemes to be ["l402"] (a Payment charge or an x402 payment buys one request, not a balance)',
    ]);
  });
});
