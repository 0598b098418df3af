import type { ChargeOn } from "../config/index.ts";
import { meterStream, pricesTokens, type MeterHooks, type MeterOutcome, type StreamFraming, type StreamPrices } from "../metering/index.ts";
import type { Charge } from "./decision.ts";
import type { Later } from "./issue-challenge.ts";
import type { HeaderChange } from "./passed.ts";
import type { Balances } from "./ports.ts";
import type { HeaderReader } from "./request.ts";

/**
 * A balance service's request, once answered: what it cost, debited, and the
 * rest of its reservation released (reserve-balance.ts took it before the
 * request went on).
 *
 * The cost is, first found: what the app charged (`c.var.l402.charge`); a
 * metered stream's (counted as it passes, the reservation leased further as
 * it grows); what the origin reported in the cost header (msat,
 * taken off the answer); else the request's price. Never more than was
 * reserved (the reservation is what the buyer agreed to at most). An answer
 * the service does not charge for (`charge_on`: by default a 5xx, or no
 * answer at all) costs nothing. A HEAD answered 2xx (with a body to its GET)
 * on a service priced by the tokens its answers report, with no cost charged
 * or reported, costs the whole reservation: a framework answers a HEAD with
 * the GET handler (the model's work done), and the usage is in the body it
 * does not send. The answer says the balance left
 * (`X-L402-Balance`): after this request's cost, or, for a metered stream,
 * after its first lease.
 */
export interface Answered {
  readonly status: number;
  readonly headers: HeaderReader;
  readonly body: ReadableStream<Uint8Array> | null;
  /** The answer to a HEAD: its body, if the origin made one, was not sent. */
  readonly toHead?: boolean;
}

/** How a metered stream ends when its balance runs out: the event (or JSON line) that says so (exhausted-event.ts), its offer made once, then written as its framing writes it, given the balance left. */
export type ExhaustedEvent = () => Promise<(framing: StreamFraming, balanceMsat: bigint) => string>;

export interface Settled {
  readonly changes: readonly HeaderChange[];
  /** The answer's body metered, to send instead of its own. */
  readonly body?: ReadableStream<Uint8Array>;
}

export function settleCharge(charge: Charge, answered: Answered | undefined, appChargedMsat: bigint | undefined, balances: Balances, later: Later, exhausted: ExhaustedEvent): Settled {
  const { balance } = charge;
  const changes: HeaderChange[] = balance.costHeader === undefined ? [] : [{ name: balance.costHeader, value: undefined }];
  const release = (costMsat: bigint): bigint => {
    const back = charge.reservedMsat - (costMsat < charge.reservedMsat ? costMsat : charge.reservedMsat);
    if (back > 0n) later(balances.release(charge.tokenId, back));
    return charge.balanceMsat + back;
  };
  if (answered === undefined || !charged(answered.status, balance.chargeOn)) {
    return { changes: [...changes, { name: "X-L402-Balance", value: String(release(0n)) }] };
  }
  if (balance.meter !== undefined && answered.body !== null && appChargedMsat === undefined) {
    // The metered body may end sooner (its balance run out) or later (the event saying so) than the origin's length: the runtime frames it.
    const reframed = { name: "Content-Length", value: undefined };
    return { changes: [...changes, reframed, { name: "X-L402-Balance", value: String(charge.balanceMsat) }], body: metered(charge, answered, balances, later, exhausted) };
  }
  const reported = balance.costHeader === undefined ? null : answered.headers.get(balance.costHeader);
  const cost = appChargedMsat ?? (reported !== null && /^\d{1,19}$/.test(reported.trim()) ? BigInt(reported.trim()) : usageWithheld(charge, answered) ? charge.reservedMsat : charge.priceMsat);
  return { changes: [...changes, { name: "X-L402-Balance", value: String(release(cost)) }] };
}

/**
 * A HEAD's successful answer on a service priced by tokens: the usage its GET
 * would report was never sent. Not one that says its GET has no body (204,
 * 205, `Content-Length: 0`): an empty GET costs the price.
 */
const usageWithheld = (charge: Charge, answered: Answered): boolean =>
  answered.toHead === true &&
  answered.status >= 200 &&
  answered.status < 300 &&
  answered.status !== 204 &&
  answered.status !== 205 &&
  answered.headers.get("content-length")?.trim() !== "0" &&
  charge.balance.meter !== undefined &&
  pricesTokens(charge.balance.meter);

/**
 * What the app charges a request (`c.var.l402.charge(msat)`), added up;
 * undefined until it charges. Read once, when the handler has answered: a
 * charge after that (from a body still streaming) would count for nothing, so
 * it throws instead of passing unnoticed.
 */
export function chargeTally(): { readonly add: (msat: bigint | number) => void; readonly totalMsat: () => bigint | undefined } {
  let total: bigint | undefined;
  let settled = false;
  return {
    add(msat) {
      if (settled) throw new Error("charge(msat) was called after the handler answered, when the request's charge was already settled: charge before returning the answer (a streamed answer's cost: meter it, or report it in the cost header)");
      if (typeof msat === "number" ? !Number.isSafeInteger(msat) || msat < 0 : msat < 0n) throw new RangeError("charge(msat) takes a whole number of millisatoshis, at least 0");
      total = (total ?? 0n) + BigInt(msat);
    },
    totalMsat: () => {
      settled = true;
      return total;
    },
  };
}

/** Whether an answer of this status is charged for (a balance debited, a use kept). A WebSocket's 101 is a success. */
export function charged(status: number, on: ChargeOn): boolean {
  if (on === "always") return true;
  if (on === "success") return status === 101 || (status >= 200 && status < 400);
  return status < 500;
}

/**
 * The body, metered (metering/): leased from the balance as it goes, the
 * unused lease released when it ends. What it costs: estimated(). Each lease
 * is the largest of the first reservation, what the next chunk needs and half
 * of what is leased so far: a long body makes a few dozen calls, not one per
 * reservation's worth (each call is a subrequest, of which a request has
 * 1,000 on Cloudflare's Paid plan), and holds at most half as much again as
 * it has cost (or a reservation more). Where the balance holds less, the
 * lease is half of what it holds (at least a reservation, or what the next
 * chunk needs), and at the last all it holds.
 */
function metered(charge: Charge, answered: Answered, balances: Balances, later: Later, exhausted: ExhaustedEvent): ReadableStream<Uint8Array> {
  const prices = charge.balance.meter ?? {};
  let leased = charge.reservedMsat;
  let lastEvent: MeterHooks["exhaustedEvent"] = () => "";
  let done: () => void = () => undefined;
  later(new Promise<void>((resolve) => (done = resolve)));
  // The lease being taken, if any: a client gone meanwhile settles once it is taken, so that it too is released.
  let leasing: Promise<unknown> = Promise.resolve();
  const takeLease = async (costSoFarMsat: bigint): Promise<bigint | undefined> => {
    const least = largest(costSoFarMsat - leased, charge.reservedMsat);
    const grown = largest(least, leased / 2n);
    let taken = await balances.reserve(charge.tokenId, grown, undefined);
    if (taken.status === "reserved") return (leased += grown);
    // Short of a grown lease: half of what the balance has left (at least a reservation or what the chunk needs), so that near its end a body leaves the rest to other requests on the token, in a few calls still.
    const half = largest(least, taken.balanceMsat / 2n);
    if (grown > half && taken.balanceMsat >= half) {
      taken = await balances.reserve(charge.tokenId, half, undefined);
      if (taken.status === "reserved") return (leased += half);
    }
    // Short of a whole lease: what is left, so the body goes on as far as the balance pays.
    const rest = taken.balanceMsat > 0n ? await balances.reserve(charge.tokenId, taken.balanceMsat, undefined) : taken;
    if (rest.status === "reserved") leased += taken.balanceMsat;
    if (leased >= costSoFarMsat) return leased;
    // Not enough: the body ends where its leases do, with this event (for an event or NDJSON stream) saying why, and what the balance holds once the body is settled: what the leases left, with what of them it did not cost given back, or less what it cost beyond them.
    const write = await exhausted();
    lastEvent = (framing, outcome) => write(framing, largest(rest.balanceMsat + leased - estimated(outcome, prices, charge, answered.status), 0n));
    return rest.status === "reserved" ? leased : undefined;
  };
  const hooks = {
    lease(costSoFarMsat: bigint): Promise<bigint | undefined> {
      const taking = takeLease(costSoFarMsat);
      leasing = taking.catch(() => undefined);
      return taking;
    },
    settle(outcome: MeterOutcome): void {
      const estimate = estimated(outcome, prices, charge, answered.status);
      const released = leasing.then(async () => {
        // More than was leased (a client gone before its output was counted): taken as far as the balance goes.
        if (estimate > leased) leased += await takeAtMost(balances, charge.tokenId, estimate - leased);
        const back = leased - (estimate < leased ? estimate : leased);
        return back > 0n ? balances.release(charge.tokenId, back) : undefined;
      });
      released.catch(() => undefined).finally(done);
    },
    exhaustedEvent: (framing: StreamFraming, outcome: MeterOutcome) => lastEvent(framing, outcome),
  };
  return meterStream(answered.body as ReadableStream<Uint8Array>, answered.headers.get("content-type"), prices, leased, hooks);
}

/**
 * What a metered body costs: what it counted, but for a stream priced by
 * tokens that sent something without counting them all. A success (2xx) that
 * ends without saying how many it used costs at least its first reservation,
 * however it ended (a client that leaves may be seen as a broken origin
 * body): the estimate stands, as the reference's metering has it. Any other
 * answer (an LLM API's 4xx for an unknown model or a rate limit, its error in
 * JSON) costs at least the request's price: the buyer is not charged a whole
 * answer's estimate for an error. One whose
 * client left before its output was counted (Anthropic's `message_start`
 * states the input alone; `message_delta`, at the end, the output; Gemini's
 * chunks may count the prompt alone until the last), or whose
 * origin body broke off then (which a client leaving may look like), costs its
 * input and the first reservation for the output. (An Anthropic stream the
 * origin ends whole after an error event, its output never counted, costs
 * what it counted.) One whose client left before its first byte is a success
 * without usage: the origin has its prompt.
 */
function estimated(outcome: MeterOutcome, prices: StreamPrices, charge: Charge, status: number): bigint {
  const { costMsat } = outcome;
  if (!pricesTokens(prices)) return costMsat;
  if (outcome.usage === undefined) {
    // A client gone before the first byte too: the origin has the prompt. Only a success that ended whole and empty has nothing to estimate.
    const emptied = outcome.bytes === 0 && outcome.ended === "complete";
    const floor = status >= 200 && status < 300 && !emptied ? charge.reservedMsat : charge.priceMsat;
    return costMsat < floor ? floor : costMsat;
  }
  return outcome.provisional && outcome.ended !== "complete" ? costMsat + charge.reservedMsat : costMsat;
}

const largest = (...amounts: bigint[]): bigint => amounts.reduce((most, amount) => (amount > most ? amount : most));

/** Takes `amountMsat` from the balance, or what it has left when short; what was taken. */
async function takeAtMost(balances: Balances, tokenId: string, amountMsat: bigint): Promise<bigint> {
  const taken = await balances.reserve(tokenId, amountMsat, undefined);
  if (taken.status === "reserved") return amountMsat;
  if (taken.balanceMsat <= 0n) return 0n;
  const rest = await balances.reserve(tokenId, taken.balanceMsat, undefined);
  return rest.status === "reserved" ? taken.balanceMsat : 0n;
}

