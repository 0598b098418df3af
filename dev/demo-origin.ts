import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { usageEndpoint, usageServices } from "./demo-usage.ts";
import { listen } from "./listen.ts";

/**
 * The API behind the paywall in `npm run dev`: a few JSON endpoints, and those
 * sold by usage (demo-usage.ts). It refuses requests without the paywall's
 * origin secret, as a real origin should.
 */
const QUOTES = [
  "Running bitcoin. — Hal Finney",
  "The root problem with conventional currency is all the trust that's required to make it work. — Satoshi Nakamoto",
  "Lightning is a payment channel network, not a blockchain. — everyone, eventually",
];

export const DEMO_ROUTES = {
  quote: "/api/quote",
  weather: "/api/weather",
  echo: "/api/echo",
  calls: "/api/calls",
  joke: "/api/joke",
  free: "/api/free/hello",
  article: "/articles/lightning",
} as const;

/** The services `npm run dev` configures in front of this origin; echo is priced in msat unless the backend invoices whole sats only. */
export function demoServices(originUrl: string, { wholeSats = false } = {}) {
  const origin = { url: originUrl };
  const echoPrice = wholeSats ? { price_sats: 2 } : { price_msat: 1500 };
  return [
    { name: "quotes", match: [DEMO_ROUTES.quote], price_sats: 5, timeout: 3600, origin },
    {
      name: "weather",
      match: [`${DEMO_ROUTES.weather}*`],
      price_sats: 21,
      timeout: 1800,
      // Sold to agents too, on the MCP endpoint (/mcp): a call's city is the request's query.
      mcp: { tool: "get_weather", description: "Today's forecast for a city", input_schema: { type: "object", properties: { city: { type: "string" } } }, path: DEMO_ROUTES.weather },
      origin,
    },
    { name: "echo", match: [DEMO_ROUTES.echo], ...echoPrice, origin },
    { name: "calls", match: [DEMO_ROUTES.calls], price_sats: 10, uses: 3, timeout: 3600, origin },
    { name: "jokes", match: [DEMO_ROUTES.joke], price_sats: 2, freebies: 2, freebies_period: 3600, origin },
    { name: "free", match: ["/api/free/*"], price_sats: 1, auth: false, origin },
    // People in browsers: pay on the 402 page, land on the article (a cookie holds the credential).
    { name: "articles", match: ["/articles/*"], price_sats: 3, timeout: 86_400, browser: true, title: "Lightning articles", description: "Essays on paying for the web, a day's reading for 3 sats", origin },
    // Selling by usage: a chat completion paid per token from prepaid credit, an image priced by its size, a download per KiB.
    ...usageServices(origin),
  ];
}

const ARTICLE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Paying for the web, one request at a time</title>
<style>body{font:18px/1.6 Georgia,serif;max-width:38rem;margin:3rem auto;padding:0 1rem;color:#222}h1{line-height:1.2}.paid{font:14px system-ui,sans-serif;color:#176b2c}</style>
</head><body><p class="paid">Paid with Lightning: this browser holds the credential in a cookie.</p>
<h1 id="article">Paying for the web, one request at a time</h1>
<p>HTTP has had a status code for payment since 1997: 402, reserved for future use. The future
took a while. With Lightning, a page can name its price in an invoice, a visitor can pay it in a
second from any wallet, and the preimage of that payment is the receipt the server asks for.</p>
<p>No account, no card, no subscription: just a price and a proof of payment.</p>
</body></html>
`;

const JOKES = ["Why did the node go to therapy? Too many unresolved channels.", "HODL the door."];

/**
 * The origin: refuses requests without the paywall's secret in `authHeader`
 * (what `L402_ORIGIN_AUTH_HEADER` names; X-L402-Origin-Auth by default). Any path
 * it has no endpoint for answers with what it received, so an operator's own
 * services can use it as a stand-in origin.
 */
export async function startDemoOrigin(port: number, secret: string, host = "127.0.0.1", authHeader = "x-l402-origin-auth"): Promise<{ url: string; close(): Promise<void> }> {
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    if (request.headers[authHeader.toLowerCase()] !== secret) return json(403, { error: "requests must come through the paywall" });
    const url = new URL(request.url ?? "/", "http://origin");
    const payer = request.headers["x-l402-token-id"];
    if (url.pathname === DEMO_ROUTES.quote) return json(200, { quote: QUOTES[Math.floor(Math.random() * QUOTES.length)], paidBy: payer });
    if (url.pathname === DEMO_ROUTES.weather) {
      const city = url.searchParams.get("city") ?? "Lisbon";
      return json(200, { city, forecast: "sunny", celsius: 21, paidBy: payer });
    }
    if (url.pathname === DEMO_ROUTES.echo && request.method === "POST") {
      let body = "";
      for await (const chunk of request) body += String(chunk);
      return json(200, { echo: body, paidBy: payer });
    }
    if (url.pathname === DEMO_ROUTES.calls) return json(200, { result: "one metered call", paidBy: payer });
    if (url.pathname === DEMO_ROUTES.joke) return json(200, { joke: JOKES[Math.floor(Math.random() * JOKES.length)], paidBy: payer ?? "free allowance" });
    if (url.pathname === DEMO_ROUTES.free) return json(200, { hello: "this one is free" });
    if (await usageEndpoint(url, request, response)) return;
    if (url.pathname.startsWith("/articles/")) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return void response.end(ARTICLE);
    }
    json(200, { demoOrigin: "no endpoint of its own here; this is what reached it", method: request.method, path: url.pathname, query: url.search, paidBy: payer ?? null });
  };
  const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()));
  const listening = await listen(server, port, host);
  return { url: `http://${listening.host}`, close: listening.close };
}
