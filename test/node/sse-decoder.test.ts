import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSseDecoder, createSseFramer, MAX_EVENT_BYTES, type SseEvent } from "../../src/metering/index.ts";
import { indexOfLineEnd } from "../../src/metering/byte-search.ts";
import { cutAt, llmStreams, readChunks, utf8 } from "../fixtures/llm-streams.ts";

const eventsOf = (text: string | Uint8Array): SseEvent[] => readChunks([typeof text === "string" ? utf8(text) : text]).events;
const message = (data: string): SseEvent => ({ type: "message", data });

describe("the SSE decoder reads the event stream format of the HTML standard", () => {
  // The examples of HTML §9.2.6 ("Interpreting an event stream"), with what the standard says they dispatch.
  it("multi-line data is joined with LF", () => {
    expect(eventsOf("data: YHOO\ndata: +2\ndata: 10\n\n")).toEqual([message("YHOO\n+2\n10")]);
  });

  it("comments and id lines are skipped, one space after the colon is dropped, and an event the stream leaves unfinished is never dispatched", () => {
    expect(eventsOf(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n")).toEqual([message("first event"), message("second event")]);
  });

  it("a data field with no value adds an empty line; a stream ending in a field dispatches nothing for it", () => {
    expect(eventsOf("data\n\ndata\ndata\n\ndata:")).toEqual([message(""), message("\n")]);
  });

  it("'data:test' and 'data: test' are the same", () => {
    expect(eventsOf("data:test\n\ndata: test\n\n")).toEqual([message("test"), message("test")]);
  });

  it("an event's type is its last event field; a blank line with no data dispatches nothing and forgets the type", () => {
    expect(eventsOf("event: a\nevent: ping\ndata: {}\n\nevent: lonely\n\ndata: x\n\n")).toEqual([{ type: "ping", data: "{}" }, message("x")]);
  });

  it("lines end in LF, CR or CRLF, mixed", () => {
    const expected = [{ type: "t", data: "1\n2" }, message("3")];
    expect(eventsOf("event: t\ndata: 1\ndata: 2\n\ndata: 3\n\n")).toEqual(expected);
    expect(eventsOf("event: t\rdata: 1\rdata: 2\r\rdata: 3\r\r")).toEqual(expected);
    expect(eventsOf("event: t\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n")).toEqual(expected);
    expect(eventsOf("event: t\r\ndata: 1\rdata: 2\n\r\ndata: 3\n\r")).toEqual(expected);
  });

  it("a byte order mark is dropped at the start of the stream only, even split across chunks", () => {
    const text = "\u{feff}data: a\n\ndata: \u{feff}b\n\n";
    for (let cut = 0; cut <= 4; cut++) expect(readChunks(cutAt(utf8(text), [cut])).events).toEqual([message("a"), message("\u{feff}b")]);
  });

  it("unknown fields are skipped, and field names are case-sensitive", () => {
    expect(eventsOf("retry: 10\nfoo: bar\nDATA: no\nEvent: no\ndata: yes\n\n")).toEqual([message("yes")]);
  });

  it("says where each event ends in its chunk: just past its blank line", () => {
    const text = "data: a\r\n\r\n: comment\n\nevent: e\ndata: b\n\n";
    const ends: number[] = [];
    createSseDecoder().push(utf8(text), (_event, end) => ends.push(end));
    expect(ends).toEqual([11, text.length]);
  });

  it("says whether the bytes so far end between events, inside one, or inside a line", () => {
    const decoder = createSseDecoder();
    const positions: string[] = [];
    for (const part of ["data: a\n\n", ": keep-alive\n", "event: x\n", "\n", "data: b", "\n", "\n", "data: c\r"]) {
      decoder.push(utf8(part), () => {});
      positions.push(decoder.position);
    }
    expect(positions).toEqual(["between-events", "between-events", "in-event", "between-events", "in-line", "in-event", "between-events", "in-event"]);
  });
});

describe("the SSE decoder, fed the bytes in pieces", () => {
  const withText = "event: message_delta\r\ndata: {\"text\":\"naïve café — ☃ 𝄞 🎉\"}\r\n\r\n: ping\r\n\r\ndata: [DONE]\r\n\r\n";

  it("gives the same events whatever the split: every byte boundary of each recorded stream and of multi-byte text with CRLF", () => {
    for (const text of [...llmStreams.filter((stream) => stream.text.length < 20_000).map((stream) => stream.text), withText]) {
      const bytes = utf8(text);
      const whole = eventsOf(bytes);
      expect(whole.length).toBeGreaterThanOrEqual(2);
      for (let cut = 0; cut <= bytes.length; cut++) expect(readChunks(cutAt(bytes, [cut])).events).toEqual(whole);
    }
  });

  it("gives the same events whatever the split: any number of cuts, anywhere (fast-check)", () => {
    const texts = [...llmStreams.map((stream) => stream.text), withText, withText.replaceAll("\r\n", "\r"), withText.replaceAll("\r\n", "\n")];
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (text, fractions) => {
        const bytes = utf8(text);
        const chunks = cutAt(bytes, fractions.map((f) => Math.floor(f * bytes.length)));
        expect(readChunks(chunks).events).toEqual(eventsOf(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("the recorded streams decode to their payloads", () => {
    for (const stream of llmStreams) {
      const data = eventsOf(stream.text).map((event) => event.data);
      expect(data).toEqual(stream.api === "openai" ? [...stream.payloads, "[DONE]"] : stream.payloads);
    }
  });
});

describe("the SSE decoder holds little and trusts nothing", () => {
  it("an event with bytes that are not UTF-8 is skipped, and the next one read", () => {
    const bytes = Uint8Array.from([...utf8("data: bad "), 0xc3, 0x28, ...utf8("\n\ndata: good\n\n")]);
    expect(eventsOf(bytes)).toEqual([message("good")]);
  });

  it("an event larger than MAX_EVENT_BYTES is skipped, whether in one line or many, and the stream read on", () => {
    const line = "x".repeat(MAX_EVENT_BYTES);
    const chunks = cutAt(utf8(`data: ${line}\n\ndata: ${line.slice(2)}\ndata: ${line.slice(2)}\n\ndata: after\n\n`), [10, 70_000, MAX_EVENT_BYTES + 3]);
    expect(readChunks(chunks).events).toEqual([message("after")]);
  });

  it("a line longer than MAX_EVENT_BYTES, arriving in many chunks, spoils only its own event", () => {
    const decoder = createSseDecoder();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    for (let i = 0; i < 40; i++) decoder.push(chunk, () => {});
    expect(decoder.position).toBe("in-line");
    const events: SseEvent[] = [];
    decoder.push(utf8("\n\ndata: next\n\n"), (event) => events.push(event));
    expect(events).toEqual([message("next")]);
  });
});

describe("the SSE framer: the decoder's framing, data left as bytes", () => {
  it("an event whose bytes are not UTF-8 is framed as sent; only the decoder skips it", () => {
    const bytes = Uint8Array.from([...utf8("data: bad "), 0xc3, 0x28, ...utf8("\n\ndata: good\n\n")]);
    const framer = createSseFramer();
    const frames: number[][] = [];
    framer.push(bytes, (_type, data, from, to) => frames.push([...data.subarray(from, to)]));
    expect(frames).toEqual([[...utf8("bad "), 0xc3, 0x28], [...utf8("good")]]);
    expect(eventsOf(bytes)).toEqual([message("good")]);
  });
});

describe("finding line ends four bytes at a time", () => {
  it("finds the first LF or CR from any offset, in a view at any alignment, as a byte-by-byte search does (fast-check)", () => {
    const bytes = fc.array(fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x00, 0x80, 0xff, 0x0b, 0x8a), fc.integer({ min: 0, max: 255 })), { maxLength: 64 });
    fc.assert(
      fc.property(bytes, fc.nat(3), fc.nat(70), fc.nat(70), (values, offset, from, to) => {
        const backing = new Uint8Array(offset + values.length);
        backing.set(values, offset);
        const view = new DataView(backing.buffer, offset, values.length);
        const end = Math.min(to, values.length);
        const expected = values.findIndex((byte, i) => i >= from && i < end && (byte === 0x0a || byte === 0x0d));
        expect(indexOfLineEnd(view, from, end)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});
