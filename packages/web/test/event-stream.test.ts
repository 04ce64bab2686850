import assert from "node:assert/strict";
import { describe, it } from "node:test";

type Message = { id?: string; event?: string; data: string };
const { parseServerSentEvents }: { parseServerSentEvents(buffer: string): { messages: Message[]; rest: string } } = await import(
  new URL("../public/event-stream.js", import.meta.url).href
);

describe("server-sent events parsing", () => {
  it("splits complete messages and keeps the partial rest for the next chunk", () => {
    const { messages, rest } = parseServerSentEvents(': keep-alive\n\nid: 1\nevent: user_input\ndata: {"sequence":1}\n\nid: 2\ndata: {"seq');
    assert.deepEqual(messages, [{ id: "1", event: "user_input", data: '{"sequence":1}' }]);
    assert.equal(rest, 'id: 2\ndata: {"seq');
    const next = parseServerSentEvents(`${rest}uence":2}\r\n\r\n`);
    assert.deepEqual(next.messages, [{ id: "2", data: '{"sequence":2}' }]);
    assert.equal(next.rest, "");
  });

  it("joins multi-line data", () => {
    assert.deepEqual(parseServerSentEvents("data: a\ndata: b\n\n").messages, [{ data: "a\nb" }]);
  });
});
