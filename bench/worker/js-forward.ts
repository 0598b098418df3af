import { readBody } from "../../src/metering/body-reader.ts";

/**
 * A Worker that forwards the origin's answer through a JavaScript stream read
 * as meterStream reads (body-reader.ts), counting nothing: what any Worker
 * that looks at a body's bytes pays in workerd, before metering adds its own.
 */
export default {
  async fetch(request: Request, env: { readonly ORIGIN: string }): Promise<Response> {
    const url = new URL(request.url);
    const answer = await fetch(env.ORIGIN + url.pathname + url.search);
    if (answer.body === null) return answer;
    const source = readBody(answer.body);
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const next = await source.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
        cancel: (reason) => source.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(body, answer);
  },
};
