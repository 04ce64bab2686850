/**
 * A local stand-in for Slack's Web API: records every call (form or JSON bodies, as the WebClient
 * sends them) and answers like Slack does. The real WebClient is pointed at it with `slackApiUrl`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  /** What the stand-in answered. */
  result: Record<string, any>;
}

export interface SlackStandIn {
  url: string;
  calls: SlackCall[];
  callsOf(method: string): SlackCall[];
  close(): Promise<void>;
}

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  let ts = 1_700_000_000;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const method = (request.url ?? "").replace(/^\/api\//, "").split("?")[0]!;
      const args: Record<string, any> = {};
      if ((request.headers["content-type"] ?? "").includes("json")) Object.assign(args, JSON.parse(body || "{}"));
      else {
        for (const [key, value] of new URLSearchParams(body)) {
          try {
            args[key] = ["blocks", "view"].includes(key) ? JSON.parse(value) : value;
          } catch {
            args[key] = value;
          }
        }
      }
      const answer: Record<string, unknown> = { ok: true };
      calls.push({ method, args, result: answer });
      if (method === "chat.postMessage")
        Object.assign(answer, { channel: args.channel, ts: `${ts++}.000100`, message: { text: args.text } });
      if (method === "chat.update") Object.assign(answer, { channel: args.channel, ts: args.ts });
      if (method === "chat.postEphemeral") Object.assign(answer, { message_ts: `${ts++}.000200` });
      if (method === "views.open") Object.assign(answer, { view: { id: "V1", ...args.view } });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsOf: (method) => calls.filter((call) => call.method === method),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
