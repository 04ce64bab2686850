/**
 * HTTP/1.1 over a bare socket, for requests `fetch` refuses to send: NUL bytes and raw non-UTF-8 in
 * paths, headers and bodies, lying `Content-Length`s, unknown methods. One request per connection
 * (`Connection: close`); an event stream is answered as soon as its headers arrive.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  method: string;
  /** Sent as is: the test chooses the percent-encoding (or the lack of it). */
  target: string;
  headers?: Record<string, string>;
  /** Sent as is, with a matching `Content-Length` unless `headers` sets one. */
  body?: string | Buffer;
}

/** The bytes of a request; `Host` and `Connection: close` are added unless given. */
export function requestBytes(port: number, request: RawRequest): Buffer {
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, "utf8");
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: "close", ...lowerKeys(request.headers ?? {}) };
  if (body !== undefined && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined)
    headers["content-length"] = String(body.length);
  // latin1 keeps every code unit below 256 as one byte: a NUL or 0xff in a header goes out as that byte.
  const head = Buffer.from(
    `${request.method} ${request.target} HTTP/1.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("")}\r\n`,
    "latin1",
  );
  return body === undefined ? head : Buffer.concat([head, body]);
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Splits a chunked body into its data; undefined until the last chunk has arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) throw new Error(`Bad chunk size in ${JSON.stringify(data.subarray(offset, lineEnd + 2).toString("latin1"))}`);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** Parses what has arrived; undefined while the response is incomplete. */
function parse(data: Buffer, ended: boolean, head: boolean): RawResponse | undefined {
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  // An interim answer (100 Continue to an `Expect`): the response follows it.
  if (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 13).toString("latin1"))) return parse(data.subarray(headEnd + 4), ended, head);
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
  if (!Number.isInteger(status)) throw new Error(`Not an HTTP response: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(headEnd + 4);
  if (head || (headers["content-type"] ?? "").startsWith("text/event-stream")) return { status, headers, body: "" };
  if (headers["transfer-encoding"] === "chunked") {
    const body = dechunk(rest);
    return body === undefined ? undefined : { status, headers, body: body.toString("utf8") };
  }
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    return rest.length < length ? undefined : { status, headers, body: rest.subarray(0, length).toString("utf8") };
  }
  if (status === 204 || status === 304) return { status, headers, body: "" };
  return ended ? { status, headers, body: rest.toString("utf8") } : undefined;
}

/** Opens a connection to 127.0.0.1:`port` and resolves once it is connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * Reads one response from `socket` (the request already sent, or being sent); the socket is destroyed
 * afterwards (`head`: the answer to a HEAD, without a body). Rejects when the server closes the connection without a complete response.
 */
export function readResponse(socket: Socket, timeoutMs = 15_000, head = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (ended: boolean) => {
      if (done) return;
      let response: RawResponse | undefined;
      try {
        response = parse(data, ended, head);
      } catch (error) {
        done = true;
        socket.destroy();
        return reject(error);
      }
      if (response) {
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(response);
      } else if (ended) {
        done = true;
        clearTimeout(timer);
        reject(
          new Error(
            `The server closed the connection without a complete response; got ${JSON.stringify(data.toString("latin1").slice(0, 300))}`,
          ),
        );
      }
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`No complete response in ${timeoutMs} ms; got ${JSON.stringify(data.toString("latin1").slice(0, 300))}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      finish(false);
    });
    socket.once("end", () => finish(true));
    socket.once("close", () => finish(true));
    // A reset after the response was written still leaves the response readable in `data`.
    socket.on("error", () => finish(true));
  });
}

/** Sends one request on a new connection and reads the response. */
export async function rawRequest(port: number, request: RawRequest | Buffer, timeoutMs?: number): Promise<RawResponse> {
  const socket = await openSocket(port);
  const head = !Buffer.isBuffer(request) && request.method.toUpperCase() === "HEAD";
  const response = readResponse(socket, timeoutMs, head);
  socket.write(Buffer.isBuffer(request) ? request : requestBytes(port, request));
  return response;
}
