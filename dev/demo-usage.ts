import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The demo origin's endpoints sold by usage (README, "Selling by usage"):
 * - a chat completion streamed as an OpenAI-compatible API streams it with
 *   `stream_options.include_usage` (`data:` chunks, each with `"usage": null`
 *   but the last, whose `usage` has the tokens; then `data: [DONE]`), slowly
 *   enough to watch, so the paywall can price it per token;
 * - an image whose price depends on its `?size=`;
 * - a download of N KiB, priced per KiB as it passes.
 */
export const USAGE_ROUTES = {
  chat: "/api/chat/completions",
  images: "/api/images",
  files: "/api/files/",
} as const;

/** The demo's usage services, in front of `origin`; their prices are chosen so that a walkthrough sees a balance run short in three requests. */
export function usageServices(origin: { readonly url: string }) {
  return [
    {
      name: "chat",
      match: [`${USAGE_ROUTES.chat}`],
      // Reserved from the balance before each completion; the tokens it reports are what it costs.
      price_sats: 5,
      timeout: 86_400,
      balance: { amounts_sats: [10, 100], bonus_sats: { "100": 10 } },
      meter: { per_1k_input_tokens_msat: 30_000, per_1k_output_tokens_msat: 60_000 },
      title: "Demo chat completions",
      description: "An OpenAI-compatible chat completion, streamed, paid per token from prepaid credit",
      origin,
    },
    { name: "images", match: [USAGE_ROUTES.images], price_sats: 2, timeout: 3600, price_rules: [{ query: { size: "large" }, price_sats: 10 }], origin },
    { name: "files", match: [`${USAGE_ROUTES.files}*`], price_sats: 1, max_cost_sats: 5, timeout: 86_400, balance: { amounts_sats: [20] }, meter: { per_kib_msat: 200 }, origin },
  ];
}

const ANSWER =
  "Lightning is a network of payment channels on top of Bitcoin. Two parties lock funds in a channel, then pay each other by signing new balances, instantly and for tiny fees; payments hop across channels to reach anyone on the network, and only the opening and closing touch the chain.";
/** What the demo model writes, one word per token (a real tokenizer counts otherwise; the paywall only reads what the stream reports). */
const ANSWER_TOKENS = ANSWER.split(" ").map((word, index) => (index === 0 ? word : ` ${word}`));
const TOKEN_INTERVAL_MS = 80;
const MAX_FILE_KIB = 1024;

/** Answers `request` if it is one of these endpoints; false if not. */
export async function usageEndpoint(url: URL, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  if (url.pathname === USAGE_ROUTES.chat && request.method === "POST") {
    await streamCompletion(await readJson(request), response);
    return true;
  }
  if (url.pathname === USAGE_ROUTES.images) {
    const size = url.searchParams.get("size") === "large" ? "large" : "small";
    response.writeHead(200, { "content-type": "application/json" });
    response.end(`${JSON.stringify({ size, pixels: size === "large" ? "2048x2048" : "256x256", image: "(a picture of a lightning bolt)" }, null, 2)}\n`);
    return true;
  }
  const kib = url.pathname.startsWith(USAGE_ROUTES.files) ? Number(url.pathname.slice(USAGE_ROUTES.files.length)) : Number.NaN;
  if (Number.isInteger(kib) && kib >= 1 && kib <= MAX_FILE_KIB) {
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(kib * 1024) });
    for (let sent = 0; sent < kib && !response.destroyed; sent++) {
      // Written as the client takes it: a metered download is counted as it passes.
      if (!response.write(Buffer.alloc(1024, 0x2a))) await new Promise((resolve) => response.once("drain", resolve));
    }
    response.end();
    return true;
  }
  return false;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** Prompt tokens, counted as the demo model counts: words of every message's content, and 3 per message. */
function promptTokens(body: unknown): number {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return 0;
  return messages.reduce((sum: number, message: unknown) => {
    const content = (message as { content?: unknown } | null)?.content;
    return sum + 3 + (typeof content === "string" ? content.split(/\s+/).filter((word) => word !== "").length : 0);
  }, 0);
}

/** The completion as `text/event-stream`, a token every 80 ms, ending with its usage and `[DONE]`; `max_tokens` cuts it short. */
async function streamCompletion(body: unknown, response: ServerResponse): Promise<void> {
  const asked = (body as { max_tokens?: unknown } | null)?.max_tokens;
  const tokens = typeof asked === "number" && Number.isInteger(asked) && asked > 0 ? ANSWER_TOKENS.slice(0, asked) : ANSWER_TOKENS;
  const base = { id: `chatcmpl-demo-${Date.now()}`, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "demo-1" };
  const chunk = (choices: unknown[], usage: unknown = null) => `data: ${JSON.stringify({ ...base, choices, usage })}\n\n`;
  response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  let gone = false;
  response.once("close", () => (gone = true));
  response.write(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
  for (const token of tokens) {
    await new Promise((resolve) => setTimeout(resolve, TOKEN_INTERVAL_MS));
    // The client left (or the paywall ended the stream): the model stops writing.
    if (gone) return;
    response.write(chunk([{ index: 0, delta: { content: token }, finish_reason: null }]));
  }
  response.write(chunk([{ index: 0, delta: {}, finish_reason: tokens.length < ANSWER_TOKENS.length ? "length" : "stop" }]));
  const usage = { prompt_tokens: promptTokens(body), completion_tokens: tokens.length, total_tokens: promptTokens(body) + tokens.length };
  response.write(chunk([], usage));
  response.end("data: [DONE]\n\n");
}

/**
 * How to try them, for the dev banner: with `l402-edge get` where it does
 * the work, and curl with the token it saved where the walkthrough shows what
 * a client of balances sees (the stream as it comes, the balance going down,
 * the 402 that offers a top-up, the top-up sent once).
 */
export function usageWalkthrough(workerUrl: string): string {
  const chat = `${workerUrl}${USAGE_ROUTES.chat}`;
  const ask = (content: string) => `'{"messages":[{"role":"user","content":"${content}"}]}'`;
  return `Selling by usage (the README's "Selling by usage"; jq reads the JSON):
  npx l402-edge get --no-pay "${workerUrl}${USAGE_ROUTES.images}?size=large"    # priced by its query: 10 sats (2 without size=large)
  npx l402-edge get "${workerUrl}${USAGE_ROUTES.images}?size=small"             # pays 2 sats
  tok() { npx l402-edge tokens show ${workerUrl} | jq -r --arg s "$1" '.tokens[] | select(.services == [$s]) | "L402 \\(.macaroon):\\(.preimage)"'; }
  curl -s -H "Authorization: $(tok images)" "${workerUrl}${USAGE_ROUTES.images}?size=large" | jq '{reason, price_msat, paid_msat}'
      # a 2-sat token never buys a 10-sat request: 402 price_exceeds_token, its invoice at 10 sats
  npx l402-edge get -i -d ${ask("What is Lightning?")} ${chat}
      # buys 10 sats of credit; the streamed completion is debited per token (X-L402-Balance: msat left)
  T=$(tok chat); curl -sN -i -H "Authorization: $T" -d ${ask("And again?")} ${chat}
      # watch it stream; the balance goes down
  R=$(curl -s -H "Authorization: $T" -d '{}' ${chat}); echo "$R" | jq '{reason, balance_msat, required_msat, topup_for}'
      # balance_short: a 402 whose invoice and macaroon top up the same token
  P=$(curl -s -H "Grpc-Metadata-macaroon: $LND_MACAROON" $LND_REST_URL/v2/router/send -d "{\\"payment_request\\":$(echo "$R" | jq .invoice),\\"fee_limit_sat\\":10,\\"timeout_seconds\\":30,\\"no_inflight_updates\\":true}" | jq -r .result.payment_preimage)
  curl -sN -i -H "Authorization: L402 $(echo "$R" | jq -r .macaroon):$P" -d ${ask("Topped up?")} ${chat}
      # the top-up, sent once: credited, and this request served; then go on with $T (sent again: 402 topup_spent)
  npx l402-edge get -i -o /tmp/l402-64k.bin ${workerUrl}${USAGE_ROUTES.files}64   # 64 KiB, metered at 0.2 sats per KiB from 20 sats of credit`;
}
