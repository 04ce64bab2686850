/**
 * Requests refused before any route sees them. Node's HTTP parser refuses a NUL or other control character in
 * a header, a malformed request line, both `Content-Length` and `Transfer-Encoding`, headers over the
 * size limit, a request that took too long to arrive; the Node adapter refuses a target it cannot make
 * a URL of. Both answer with an empty 400 (or 431, 408); these get the API's JSON error body like
 * every other 4xx, so a client learns what to fix.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { RequestError } from "@hono/node-server";
import type { Duplex } from "node:stream";

/** The status, code and message for a parser error (`error.code` is Node's, e.g. `HPE_INVALID_HEADER_TOKEN`). */
export function clientErrorAnswer(code: string | undefined): { status: number; code: string; message: string } {
  if (code === "HPE_HEADER_OVERFLOW") {
    return {
      status: 431,
      code: "headers_too_large",
      message: "The request's headers are larger than the server accepts (16 KB in all by default); send fewer or shorter headers.",
    };
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return {
      status: 408,
      code: "request_timeout",
      message: "The request did not arrive in time; send the headers and body without pausing.",
    };
  }
  return {
    status: 400,
    code: "bad_request",
    message: `The request is not valid HTTP/1.1 (${code ?? "unparsable"}): check the request line, that header names and values have no control characters, and that it sends Content-Length or Transfer-Encoding, not both.`,
  };
}

/**
 * A `clientError` listener for a Node HTTP server. Like Node's own, it answers only a connection
 * that has not been answered yet (a keep-alive connection mid-response just closes), then closes it.
 *
 * @example
 * listener.on("clientError", answerClientError);
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void {
  if (error.code === "ECONNRESET" || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const { status, code, message } = clientErrorAnswer(error.code);
  const body = JSON.stringify({ error: { code, message } });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    "Content-Type: application/json; charset=UTF-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`, () => socket.destroy());
}

/**
 * The adapter's `errorHandler`: a request Node parsed but no URL can be made of (the target `*`, a
 * backslash in the path, another scheme, no `Host`) is a JSON 400 instead of an empty one. Anything
 * else failing before the app ran is the server's fault: a 500, with the error logged.
 *
 * @example
 * createServer(getRequestListener(app.fetch, { errorHandler: requestErrorResponse }));
 */
export function requestErrorResponse(error: unknown): Response {
  const json = (status: number, code: string, message: string) =>
    new Response(JSON.stringify({ error: { code, message } }), { status, headers: { "content-type": "application/json; charset=UTF-8" } });
  if (error instanceof RequestError) {
    return json(
      400,
      "bad_request",
      `The request is not valid HTTP/1.1 (${error.message}): send a path that starts with "/" (no backslashes) and a Host header.`,
    );
  }
  console.error("agentfold server:", error);
  return json(500, "internal", "The server failed while handling this request; see its log.");
}

/**
 * A `checkExpectation` listener: a request whose `Expect` is not `100-continue` is a JSON 417, not
 * Node's empty one.
 *
 * @example
 * listener.on("checkExpectation", answerUnmetExpectation);
 */
export function answerUnmetExpectation(request: IncomingMessage, response: ServerResponse): void {
  const message = `The server cannot meet "Expect: ${request.headers.expect}"; it understands only "Expect: 100-continue", or leave it out.`;
  const body = JSON.stringify({ error: { code: "expectation_failed", message } });
  response
    .writeHead(417, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(body), connection: "close" })
    .end(body);
}
