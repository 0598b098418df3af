import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { deflateSync, gzipSync } from "node:zlib";
import type { WebSocketServer as WebSocketServerType } from "ws";
import { listen } from "../../dev/listen.ts";

// Loaded with Node's own require: the workerd project resolves packages with
// browser conditions, which would pick ws's browser stub.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as { WebSocketServer: typeof WebSocketServerType };

/**
 * The origin behind the paywall in tests. It counts hits per path (so parallel
 * tests do not disturb each other), echoes what reached it, and streams under
 * the test's control so tests can prove the Worker buffers nothing:
 *
 *   GET  /_origin/hits?prefix=P     hits on paths starting with P (or, with marker=M, on queries containing M)
 *   GET  /_origin/progress?id=X     bytes of upload X received so far
 *   POST /_origin/release?id=X      let download X send its remaining chunks
 *   *    /stream/upload?id=X        consumes the body, reporting progress as it goes
 *   GET  /stream/download?id=X&chunks=N&size=S   first chunk now, the rest after release (with then=reset: the
 *                                  connection reset instead)
 *   GET  /_origin/download?id=X     whether download (or silent) X's client closed the connection before the answer ended
 *   GET  /stream/silent?id=X        sends nothing, not even its headers, until released
 *   GET  /stream/chat?tokens=N&prompt=P&id=X&format=F   a streamed completion (text/event-stream) of N one-token
 *                                  chunks after a prompt of P tokens, as F streams one: chat (the default: OpenAI's chat
 *                                  completions, then the usage chunk and [DONE]), responses (OpenAI's Responses API, the
 *                                  usage in response.completed) or gemini (each chunk's usageMetadata, the counts so
 *                                  far; gemini-prompt-first: the prompt's alone until the last), ollama (Ollama's /api/chat, application/x-ndjson: a line a token, the counts on the
 *                                  last), or whole or ollama-whole (OpenAI's or Ollama's chat completion not streamed,
 *                                  application/json); with id, the first event now and the rest after release
 *                                  (first=held: the headers now, the first event too after release; then=reset: the
 *                                  connection reset at release; last=unended: the last line without its LF)
 *   GET  /stream/chat-encoded?tokens=N&prompt=P   the chat completion, whole, in the first of deflate and gzip
 *                                  the request's Accept-Encoding names (as an API behind a CDN answers)
 *   POST /pricer?answer=J           answers J (a pricer's JSON answer, as the test wants it)
 *   WS   /ws                        echoes text messages (?plant: its handshake sets a paywall cookie and one of its own)
 *   *    anything else              echoes method, path (parsed, and raw as received), query, headers, body size and hash;
 *                                   each `answer_header=Name:Value` in the query is set on the answer, and
 *                                   `answer_status=N` is its status
 */
export interface TestOrigin {
  readonly url: string;
  close(): Promise<void>;
}

export async function startTestOrigin(): Promise<TestOrigin> {
  const hits: { path: string; query: string }[] = [];
  const progress = new Map<string, number>();
  const releases = new Map<string, () => void>();
  const released = new Set<string>();
  const closedEarly = new Set<string>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://origin");
    const id = url.searchParams.get("id") ?? "";
    if (url.pathname === "/_origin/hits") {
      const prefix = url.searchParams.get("prefix") ?? "/";
      const marker = url.searchParams.get("marker");
      return json(response, { count: hits.filter((hit) => hit.path.startsWith(prefix) && (marker === null || hit.query.includes(marker))).length });
    }
    if (url.pathname === "/_origin/progress") return json(response, { bytes: progress.get(id) ?? 0 });
    if (url.pathname === "/_origin/download") return json(response, { closedEarly: closedEarly.has(id) });
    if (url.pathname === "/_origin/release") {
      released.add(id);
      releases.get(id)?.();
      return json(response, { released: id });
    }
    hits.push({ path: url.pathname, query: url.search });

    if (url.pathname.startsWith("/stream/upload")) {
      const hash = sha256.create();
      let bytes = 0;
      for await (const chunk of request) {
        bytes += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
        progress.set(id, bytes);
      }
      return json(response, { bytes, sha256: hex.encode(hash.digest()) });
    }
    if (url.pathname.startsWith("/stream/download")) {
      const chunks = Number(url.searchParams.get("chunks") ?? "4");
      const size = Number(url.searchParams.get("size") ?? "65536");
      response.on("close", () => {
        if (!response.writableFinished) closedEarly.add(id);
      });
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.write(Buffer.alloc(size, 1));
      if (!released.has(id)) await new Promise<void>((resolve) => releases.set(id, resolve));
      if (url.searchParams.get("then") === "reset") return void response.socket?.resetAndDestroy();
      for (let i = 1; i < chunks; i++) {
        if (!response.write(Buffer.alloc(size, (i % 250) + 1))) await new Promise((resolve) => response.once("drain", resolve));
      }
      return void response.end();
    }

    if (url.pathname.startsWith("/stream/silent")) {
      response.on("close", () => {
        if (!response.writableFinished) closedEarly.add(id);
      });
      if (!released.has(id)) await new Promise<void>((resolve) => releases.set(id, resolve));
      return json(response, { late: true });
    }
    if (url.pathname === "/pricer") {
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end(url.searchParams.get("answer") ?? "");
    }
    if (url.pathname.startsWith("/stream/chat-encoded")) return streamEncoded(request, response, url);
    if (url.pathname.startsWith("/stream/chat")) return streamChat(response, url, id === "" ? undefined : new Promise<void>((resolve) => (released.has(id) ? resolve() : releases.set(id, resolve))));

    const hash = sha256.create();
    let bytes = 0;
    for await (const chunk of request) {
      bytes += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    const answerHeaders = url.searchParams.getAll("answer_header").map((pair) => pair.split(/:(.*)/s).slice(0, 2) as [string, string]);
    json(response, {
      method: request.method,
      path: url.pathname,
      rawPath: (request.url ?? "/").split("?")[0],
      query: url.search,
      headers: request.headers,
      bodyBytes: bytes,
      bodySha256: hex.encode(hash.digest()),
    }, answerHeaders, Number(url.searchParams.get("answer_status") ?? "200"));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  const sockets = new WebSocketServer({ server, path: "/ws" });
  // ?plant: the handshake's answer sets a cookie of the paywall's (as a header-reflecting origin could) and one of its own.
  sockets.on("headers", (headers, request) => {
    if (request.url?.includes("plant") === true) headers.push("Set-Cookie: __Host-l402-pending-ws=planted; Path=/; Secure", "Set-Cookie: theme=dark; Path=/");
  });
  sockets.on("connection", (socket, request) => {
    const { pathname, search } = new URL(request.url ?? "/", "http://origin");
    hits.push({ path: pathname, query: search });
    socket.on("message", (data) => socket.send(`echo:${String(data)}`));
  });
  const listening = await listen(server);
  return {
    url: `http://${listening.host}`,
    close: () => {
      sockets.close();
      return listening.close();
    },
  };
}

function json(response: ServerResponse, body: unknown, headers: [string, string][] = [], status = 200): void {
  response.writeHead(status, [["content-type", "application/json"], ...headers].flat());
  response.end(JSON.stringify(body));
}

/** How each API streams a completion of `tokens` one-token chunks after a prompt of `prompt` tokens: its events, in order. */
const completionEvents: Record<string, (tokens: number, prompt: number) => string[]> = {
  // OpenAI's chat completions with stream_options.include_usage: the usage in a last chunk of its own, then [DONE].
  chat(tokens, prompt) {
    const chunk = (choices: string, usage: string) => `data: {"id":"chatcmpl-test","object":"chat.completion.chunk","created":1764633600,"model":"test","choices":[${choices}],"usage":${usage}}\n\n`;
    const text = Array.from({ length: tokens }, (_, i) => chunk(`{"index":0,"delta":{"content":" token${i}"},"finish_reason":null}`, "null"));
    return [...text, chunk("", `{"prompt_tokens":${prompt},"completion_tokens":${tokens},"total_tokens":${prompt + tokens}}`) + "data: [DONE]\n\n"];
  },
  // OpenAI's Responses API: named events, the usage in the response of response.completed.
  responses(tokens, prompt) {
    const event = (type: string, fields: string) => `event: ${type}\ndata: {"type":"${type}",${fields}}\n\n`;
    const answer = (status: string, usage: string) => `"response":{"id":"resp_test","object":"response","created_at":1764633600,"status":"${status}","model":"test","output":[],"usage":${usage}}`;
    const usage = `{"input_tokens":${prompt},"input_tokens_details":{"cached_tokens":0},"output_tokens":${tokens},"output_tokens_details":{"reasoning_tokens":0},"total_tokens":${prompt + tokens}}`;
    const text = Array.from({ length: tokens }, (_, i) => event("response.output_text.delta", `"sequence_number":${i + 1},"item_id":"msg_test","output_index":0,"content_index":0,"delta":" token${i}"`));
    return [event("response.created", `"sequence_number":0,${answer("in_progress", "null")}`), ...text, event("response.completed", `"sequence_number":${tokens + 1},${answer("completed", usage)}`)];
  },
  // Anthropic's Messages API: message_start states the input (and one output token), message_delta the output at the end.
  anthropic(tokens, prompt) {
    const event = (type: string, fields: string) => `event: ${type}\ndata: {"type":"${type}"${fields}}\n\n`;
    const start = `,"message":{"id":"msg_test","type":"message","role":"assistant","content":[],"model":"test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${prompt},"output_tokens":1}}`;
    const text = Array.from({ length: tokens }, (_, i) => event("content_block_delta", `,"index":0,"delta":{"type":"text_delta","text":" token${i}"}`));
    return [
      event("message_start", start),
      event("content_block_start", `,"index":0,"content_block":{"type":"text","text":""}`),
      ...text,
      event("content_block_stop", `,"index":0`),
      event("message_delta", `,"delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${tokens}}`) + event("message_stop", ""),
    ];
  },
  // Anthropic's stream broken off by the API (overloaded): an error event after some output, no message_delta.
  "anthropic-overloaded"(tokens, prompt) {
    const events = completionEvents["anthropic"]?.(tokens, prompt) ?? [];
    return [...events.slice(0, 2 + tokens), `event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`];
  },
  // Gemini (alt=sse): every chunk carries the counts so far; the last has the finish reason.
  gemini(tokens, prompt) {
    const chunk = (text: string, candidates: number, finish: string) =>
      `data: {"candidates":[{"content":{"parts":[{"text":"${text}"}],"role":"model"},${finish}"index":0}],"usageMetadata":{"promptTokenCount":${prompt},"candidatesTokenCount":${candidates},"totalTokenCount":${prompt + candidates}},"modelVersion":"test"}\n\n`;
    return [...Array.from({ length: tokens }, (_, i) => chunk(` token${i}`, i + 1, "")), chunk("", tokens, `"finishReason":"STOP",`)];
  },
  // Gemini as it may stream: the chunks count the prompt alone (candidatesTokenCount left out), the last one the output too.
  "gemini-prompt-first"(tokens, prompt) {
    const chunk = (text: string, counts: string, finish: string) =>
      `data: {"candidates":[{"content":{"parts":[{"text":"${text}"}],"role":"model"},${finish}"index":0}],"usageMetadata":{"promptTokenCount":${prompt},${counts}"totalTokenCount":${prompt}},"modelVersion":"test"}\n\n`;
    return [...Array.from({ length: tokens }, (_, i) => chunk(` token${i}`, "", "")), chunk("", `"candidatesTokenCount":${tokens},`, `"finishReason":"STOP",`)];
  },
  // Ollama's /api/chat (NDJSON): a line a token, then the line with done and the counts.
  ollama(tokens, prompt) {
    const line = (content: string, rest: string) => `{"model":"test","created_at":"2025-12-02T00:00:00Z","message":{"role":"assistant","content":"${content}"},${rest}}\n`;
    return [...Array.from({ length: tokens }, (_, i) => line(` token${i}`, `"done":false`)), line("", ollamaDone(tokens, prompt))];
  },
};

/** The end of Ollama's last line (or of its whole answer): done, and the counts (api/types.go Metrics). */
const ollamaDone = (tokens: number, prompt: number): string =>
  `"done_reason":"stop","done":true,"total_duration":1000,"load_duration":10,"prompt_eval_count":${prompt},"prompt_eval_duration":100,"eval_count":${tokens},"eval_duration":800`;

/** The Content-Type each API streams in: an event stream, but Ollama's NDJSON. */
const streamType = (format: string): string => (format === "ollama" ? "application/x-ndjson" : "text/event-stream; charset=utf-8");

/** A completion streamed as `format` (chat, the default; responses; anthropic, anthropic-overloaded; gemini, gemini-prompt-first; ollama) streams one, or (whole, ollama-whole) OpenAI's or Ollama's chat completion not streamed; after its first event, the rest waits for `release` when given. */
async function streamChat(response: ServerResponse, url: URL, release: Promise<void> | undefined): Promise<void> {
  const format = url.searchParams.get("format") ?? "chat";
  const tokens = Number(url.searchParams.get("tokens") ?? "8");
  const prompt = Number(url.searchParams.get("prompt") ?? "10");
  if (format === "whole") {
    const content = Array.from({ length: tokens }, (_, i) => ` token${i}`).join("");
    const choices = [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }];
    return json(response, { id: "chatcmpl-test", object: "chat.completion", created: 1764633600, model: "test", choices, usage: { prompt_tokens: prompt, completion_tokens: tokens, total_tokens: prompt + tokens } });
  }
  if (format === "ollama-whole") {
    const content = Array.from({ length: tokens }, (_, i) => ` token${i}`).join("");
    response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    return void response.end(`{"model":"test","created_at":"2025-12-02T00:00:00Z","message":{"role":"assistant","content":"${content}"},${ollamaDone(tokens, prompt)}}`);
  }
  const events = Object.hasOwn(completionEvents, format) ? completionEvents[format] : undefined;
  if (events === undefined) {
    response.writeHead(400, { "content-type": "text/plain" });
    return void response.end("format is chat, responses, anthropic, anthropic-overloaded, gemini, gemini-prompt-first, ollama, whole or ollama-whole");
  }
  const [first, ...rest] = events(tokens, prompt);
  if (url.searchParams.get("last") === "unended" && rest.length > 0) rest[rest.length - 1] = (rest.at(-1) ?? "").replace(/\n$/, "");
  response.writeHead(200, { "content-type": streamType(format), "cache-control": "no-cache" });
  if (url.searchParams.get("first") === "held") {
    response.flushHeaders();
    if (release !== undefined) await release;
  }
  response.write(first ?? "");
  if (release !== undefined) await release;
  if (url.searchParams.get("then") === "reset") return void response.socket?.resetAndDestroy();
  for (const event of rest) response.write(event);
  response.end();
}

/** A chat completion as streamChat writes it, whole, in the first content coding of the request's Accept-Encoding the origin knows (deflate, gzip), as an API behind a CDN answers. */
function streamEncoded(request: IncomingMessage, response: ServerResponse, url: URL): void {
  const body = Buffer.from((completionEvents["chat"]?.(Number(url.searchParams.get("tokens") ?? "8"), Number(url.searchParams.get("prompt") ?? "10")) ?? []).join(""));
  const accepted = String(request.headers["accept-encoding"] ?? "").split(",").map((coding) => coding.trim());
  const coding = accepted.find((name) => name === "deflate" || name === "gzip");
  response.writeHead(200, { "content-type": "text/event-stream", ...(coding === undefined ? {} : { "content-encoding": coding }) });
  response.end(coding === "deflate" ? deflateSync(body) : coding === "gzip" ? gzipSync(body) : body);
}
