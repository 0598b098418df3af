/** A streamed OpenAI chat completion of `tokens` chunks, a token each, with its usage chunk last (stream_options.include_usage). */
export const openAiCompletion = (tokens: number): string => {
  const chunk = (delta: string, usage: string) => `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1764633600,"model":"gpt-4o-mini","choices":[${delta}],"usage":${usage}}\n\n`;
  const words = Array.from({ length: tokens }, (_, i) => chunk(`{"index":0,"delta":{"content":" word${i % 97}"},"finish_reason":null}`, "null"));
  return words.join("") + chunk("", `{"prompt_tokens":120,"completion_tokens":${tokens},"total_tokens":${tokens + 120}}`) + "data: [DONE]\n\n";
};
