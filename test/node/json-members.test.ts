import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { usageOfAnswer } from "../../src/metering/llm-usage.ts";
import { createJsonMembers } from "../../src/metering/json-members.ts";
import { llmAnswers } from "../fixtures/llm-answers.ts";
import { ollamaAnswers } from "../fixtures/ollama-recordings.ts";

const USAGE_MEMBERS = new Map(["object", "type", "usage", "usageMetadata", "prompt_eval_count", "eval_count"].map((name) => [name, true] as const));
const encoder = new TextEncoder();

/** The usage read from a document's top-level members, its bytes pushed in these pieces (cut at `cuts`). */
function usageOfPieces(text: string, cuts: readonly number[]) {
  const bytes = encoder.encode(text);
  const members = createJsonMembers(USAGE_MEMBERS, { arrayOfObjects: true });
  const at = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  for (let i = 0; i + 1 < at.length; i++) members.push(bytes.slice(at[i], at[i + 1]));
  return usageOfAnswer(members.json());
}

const answers = [...llmAnswers, ...ollamaAnswers];

describe("createJsonMembers", () => {
  it.each(answers.map((answer) => [answer.name, answer] as const))("%s: the usage usageOfAnswer reads whole, its bytes cut in two anywhere", (_name, answer) => {
    expect(usageOfAnswer(answer.body)).toEqual(answer.usage);
    const length = encoder.encode(answer.body).length;
    for (let cut = 0; cut <= length; cut++) expect(usageOfPieces(answer.body, [cut])).toEqual(answer.usage);
  });

  it("the same, cut in many pieces at random", () => {
    fc.assert(
      fc.property(fc.constantFrom(...answers), fc.array(fc.nat(), { maxLength: 40 }), (answer, cuts) => {
        const length = encoder.encode(answer.body).length;
        expect(usageOfPieces(answer.body, cuts.map((cut) => cut % (length + 1)))).toEqual(answer.usage);
      }),
      { numRuns: 2000 },
    );
  });

  it("a member of the same name deeper down — a tool call's arguments, text the model wrote — is never taken for the answer's own, before or after it", () => {
    const ollamaGenerate = `{"model":"m","response":"\\"eval_count\\":1,","done":true,"prompt_eval_count":26,"eval_count":290,"tool_calls":[{"function":{"name":"t","arguments":{"prompt_eval_count":1,"eval_count":1}}}],"logprobs":[{"token":"a","logprob":-0.1}]}`;
    expect(usageOfPieces(ollamaGenerate, [])).toEqual({ inputTokens: 26, outputTokens: 290 });
    const anthropic = `{"type":"message","content":[{"type":"tool_use","name":"t","input":{"usage":{"input_tokens":1,"output_tokens":1}}},{"type":"text","text":"\\"usage\\":{\\"input_tokens\\":2}"}],"usage":{"input_tokens":3000,"cache_read_input_tokens":50,"output_tokens":900}}`;
    expect(usageOfPieces(anthropic, [40, 41, 200])).toEqual({ inputTokens: 3050, outputTokens: 900 });
    expect(usageOfPieces(`{"message":{"tool_calls":[{"function":{"arguments":{"prompt_eval_count":1,"eval_count":1}}}]},"done":true}`, [])).toBeUndefined();
  });

  it("a document cut short inside its usage, or none at all, reports none; a name past its longest is not read", () => {
    const answer = `{"object":"chat.completion","usage":{"prompt_tokens":5,"completion_tokens":7}}`;
    expect(usageOfPieces(answer.slice(0, -2), [])).toBeUndefined();
    expect(usageOfPieces(`[{"usageMetadata":{"promptTokenCount":5}}`, [])).toBeUndefined();
    expect(usageOfPieces("", [])).toBeUndefined();
    expect(usageOfPieces(`{"${"u".repeat(100)}":1,"usage":{"prompt_tokens":5,"completion_tokens":1}}`, [3, 70])).toEqual({ inputTokens: 5, outputTokens: 1 });
  });

  it("a top-level array (Gemini's streamGenerateContent without alt=sse: a JSON array of chunks) reads as one object, the last of each member winning, whole or cut anywhere", () => {
    const chunk = (text: string, usage: Record<string, number>) => ({ candidates: [{ content: { parts: [{ text }], role: "model" }, index: 0 }], usageMetadata: { promptTokenCount: 9, ...usage }, modelVersion: "gemini-2.5-flash" });
    const body = JSON.stringify([chunk("There are", { candidatesTokenCount: 2 }), chunk('"usageMetadata":{"promptTokenCount":1}', { candidatesTokenCount: 20 }), chunk(" 3.", { candidatesTokenCount: 29, thoughtsTokenCount: 282 })], null, 2);
    const usage = { inputTokens: 9, outputTokens: 311 };
    expect(usageOfAnswer(body)).toEqual(usage);
    for (let cut = 0; cut <= body.length; cut++) expect(usageOfPieces(body, [cut])).toEqual(usage);
    // Objects deeper than the array's own are not its chunks: neither reader takes them.
    const nested = `[[${JSON.stringify(chunk("a", { candidatesTokenCount: 1 }))}]]`;
    expect([usageOfAnswer(nested), usageOfPieces(nested, [7])]).toEqual([undefined, undefined]);
  });

  it("members of a member's value, one level down, where asked for: a Responses stream's response.usage, and nothing of the same name elsewhere", () => {
    const wanted = new Map<string, true | ReadonlySet<string>>([["type", true], ["response", new Set(["usage"])]]);
    const event = `{"type":"response.completed","response":{"id":"r","instructions":"\\"usage\\":{}","tools":[{"usage":{"input_tokens":1}}],"output":[{"content":[{"text":"a"}]}],"usage":{"input_tokens":300000,"output_tokens":30000},"user":null},"usage":"top"}`;
    const bytes = encoder.encode(event);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const members = createJsonMembers(wanted);
      members.push(bytes, 0, cut);
      members.push(bytes, cut, bytes.length);
      expect(JSON.parse(members.json())).toEqual({ type: "response.completed", response: { usage: { input_tokens: 300000, output_tokens: 30000 } } });
    }
    // Not an object: nothing within it is read.
    const list = createJsonMembers(wanted);
    list.push(encoder.encode(`{"response":[{"usage":{"input_tokens":1}}]}`));
    expect(list.json()).toBe("{}");
    // A top-level array is read only where asked for (a whole answer): an event's, as JSON.parse's frame reader, reads nothing.
    const arrayEvent = createJsonMembers(wanted);
    arrayEvent.push(encoder.encode(`[{"type":"response.completed","response":{"usage":{"input_tokens":1}}}]`));
    expect(arrayEvent.json()).toBe("{}");
  });
});
