import { refusal } from "../refusal.ts";
import { afterDecide, beforeDecide } from "./browser/browser-step.ts";
import { chargedAccess } from "./charged-access.ts";
import { completeCredential } from "./complete-credential.ts";
import { decide } from "./decide.ts";
import type { Answer, Pass } from "./decision.ts";
import { settingsEnv } from "./env-settings.ts";
import type { Later } from "./issue-challenge.ts";
import { checkOptions, PaywallConfigError, resolvePaywall, type PaywallOptionsBase } from "./options.ts";
import { applyChanges, passedChanges } from "./passed.ts";
import { createPaywall, type Paywall } from "./paywall.ts";
import { consoleLog, logRefusal, type PaywallLog } from "./refusal-log.ts";
import { readRequest, type PaywallRequest } from "./request.ts";
import { respond } from "./respond.ts";
import { runtimeAddress } from "./runtime-address.ts";
import { shadowed } from "./shadow.ts";
import type { L402Access, L402Outcome, L402Route } from "./types.ts";

/** What `withPaywall()` takes: the paywall's options, and where the client's address is read. */
export interface FetchPaywallOptions extends PaywallOptionsBase {
  /** The client's address, for free allowances, the mint limit and the challenge cache (default: as the runtime gives it, runtime-address.ts). */
  readonly clientAddress?: (request: Request) => string | null;
}

/** What the handler is told of a request let through. */
export interface PaidRequest {
  readonly route: L402Route;
  /** A paid request: what it bought. Absent: free traffic (auth off, a free path, a free allowance, no service matched). */
  readonly access?: L402Access;
  readonly outcome: L402Outcome;
}

/** The runtime's `waitUntil`, where it has one (a Worker's execution context). */
export interface WaitUntil {
  waitUntil(work: Promise<unknown>): void;
}

/** Its answer; nothing only where Bun has upgraded a WebSocket's handshake (`server.upgrade`). */
export type PaidHandler<E> = (request: Request, paid: PaidRequest, env: E, context: WaitUntil | undefined) => Response | undefined | Promise<Response | undefined>;

/** The env and context after the request: an env the handler is typed to use must be given (a Worker's runtime gives both); none typed, none needed (Bun, Deno, Node). */
type EnvArguments<E> = undefined extends E ? [env?: E, context?: WaitUntil] : [env: E, context?: WaitUntil];

/**
 * The paywall for any `(Request) => Response` runtime: a Worker without Hono,
 * Deno, Bun, a Next route handler, Node behind a fetch bridge.
 *
 *   export default { fetch: withPaywall({ service: { name: "api", price_sats: 10 } }, (request, paid) => Response.json({ paidBy: paid.access?.tokenId })) };
 *
 * Requests the paywall lets through reach `handler` with the canonical URL (the
 * one it matched: canonical-url.ts); every other answer is the paywall's own.
 * Options without a keyring or a backend read them from the env's settings
 * (the Worker's `env`, else `process.env`) on the first request for each env.
 */
export function withPaywall<E = unknown>(options: FetchPaywallOptions, handler: PaidHandler<E>): (request: Request, ...rest: EnvArguments<E>) => Promise<Response> {
  checkOptions(options, ["clientAddress"]);
  const log = options.log === false ? undefined : (options.log ?? consoleLog);
  const built = new WeakMap<object, Paywall | readonly string[]>();
  let warned = false;
  return async (request, ...[env, context]: EnvArguments<E>) => {
    const settings = settingsEnv(env);
    let paywall = built.get(settings);
    if (paywall === undefined) {
      paywall = build(options, settings);
      built.set(settings, paywall);
    }
    if (!("settings" in paywall)) return misconfigured(request, paywall, log);
    const address = options.clientAddress?.(request) ?? runtimeAddress(request, env);
    if (address === null && options.clientAddress === undefined && options.log !== false && !warned) {
      warned = true;
      console.warn("withPaywall: this runtime gave no client address, so every client shares one free allowance and one mint limit: pass clientAddress");
    }
    return handle(paywall, address, log, handler, request, env as E, context);
  };
}

function build(options: FetchPaywallOptions, env: Readonly<Record<string, unknown>>): Paywall | readonly string[] {
  try {
    return createPaywall(resolvePaywall(options, env, ["clientAddress"]));
  } catch (error) {
    if (!(error instanceof PaywallConfigError)) throw error;
    return error.problems;
  }
}

function misconfigured(request: Request, problems: readonly string[], log: PaywallLog | undefined): Response {
  const outcome = { outcome: "misconfigured" as const, detail: problems.join("; ") };
  if (log !== undefined) logRefusal(log, outcome, { status: 500, method: request.method, url: new URL(request.url) });
  return refusal(500, { reason: "misconfigured", detail: "the paywall is not configured correctly" }, { headers: request.headers });
}

async function handle<E>(paywall: Paywall, address: string | null, log: PaywallLog | undefined, handler: PaidHandler<E>, raw: Request, env: E, context: WaitUntil | undefined): Promise<Response> {
  const read = readRequest(raw, { address, userAgent: raw.headers.get("user-agent") }, Math.floor(Date.now() / 1000), paywall.settings.services);
  if (!read.ok) {
    const asSent = { method: raw.method, url: new URL(raw.url), headers: raw.headers, client: { address, userAgent: null }, now: 0 };
    return answer(paywall, log, asSent, { kind: "refuse", status: 400, reason: read.reason, detail: read.detail, cookies: [], outcome: { outcome: "refused", reason: read.reason } });
  }
  const request = read.value;
  const later: Later = (work) => (context === undefined ? void work.catch(() => undefined) : context.waitUntil(work));
  const decision = (await shadowed(request, paywall, later)) ?? (await enforced(paywall, request, later));
  if (decision.kind !== "pass") return answer(paywall, log, request, decision);
  const { access, settle } = chargedAccess(decision, paywall, request, later);
  let handled: Response | undefined;
  try {
    handled = await handler(atCanonicalUrl(raw, request.url), { route: decision.route, outcome: decision.outcome, ...(access === undefined ? {} : { access }) }, env, context);
  } catch (error) {
    // The runtime answers a thrown handler 500, as Hono does one that throws behind the middleware: settled as that 500 (charged only under charge_on "always").
    await settle(THROWN);
    throw error;
  }
  if (handled === undefined) {
    // Bun's handler answers nothing once it has upgraded a WebSocket's handshake (`server.upgrade`): settled as one, the runtime's to answer (Bun takes nothing for an answer; the type says a Response, as Workers' does).
    if (raw.headers.get("upgrade")?.trim().toLowerCase() === "websocket") {
      await settle({ status: 101, headers: new Headers(), body: null });
      return handled as unknown as Response;
    }
    await settle(undefined);
    throw new TypeError("withPaywall's handler answered nothing: return a Response");
  }
  const settled = await settle(handled);
  const answered = settled?.body === undefined ? handled : new Response(settled.body, handled);
  return applyChanges(answered, [...passedChanges(decision, handled), ...(settled?.changes ?? [])]);
}

/** What a handler that threw is answered by the runtime, as settle.ts reads it. */
const THROWN = { status: 500, headers: new Headers(), body: null };

/** The credential completed (complete-credential.ts), then decided with the browser steps around it. */
async function enforced(paywall: Paywall, request: PaywallRequest, later: Later): Promise<Exclude<Answer, Pass> | Pass> {
  const completed = await completeCredential(request, paywall);
  if (completed.kind !== "decide") return completed;
  const before = await beforeDecide(completed.request, paywall);
  if (before.kind === "answered") return before.answer;
  return afterDecide(await decide(before.step?.request ?? completed.request, paywall, later, before.step?.challenger), before.step);
}

function answer(paywall: Paywall, log: PaywallLog | undefined, request: PaywallRequest, given: Exclude<Answer, Pass>): Response {
  const { settings } = paywall;
  const rendered = respond(given, { request, invoiceExpirySeconds: settings.invoiceExpirySeconds, fiatRate: settings.fiatRate });
  if (log !== undefined) logRefusal(log, given.outcome, { status: rendered.status, method: request.method, url: request.url });
  return rendered;
}

/** The request as the handler gets it: at the URL the paywall matched, which may differ only in spelling from the one sent. */
function atCanonicalUrl(request: Request, url: URL): Request {
  if (request.url === url.href) return request;
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(url.href, { method: request.method, headers: request.headers, redirect: request.redirect, signal: request.signal, ...(hasBody ? { body: request.body, duplex: "half" } : {}) } as RequestInit);
}
