/** Small helpers for calling the API in tests, in-process (`app.request`) or over a real port. */
import type { Hono } from "hono";

export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** A fetcher over a Hono app, without a port. */
export function appFetcher(app: { request: Hono["request"] }): Fetcher {
  return async (path, init) => app.request(path, init);
}

/** A fetcher over a base URL. */
export function urlFetcher(baseUrl: string): Fetcher {
  return (path, init) => fetch(new URL(path, baseUrl), init);
}

/** POSTs JSON and returns status and parsed body. */
export async function post(fetcher: Fetcher, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetcher(path, {
    method: "POST",
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}

export async function get(fetcher: Fetcher, path: string, headers: Record<string, string> = {}) {
  const response = await fetcher(path, { headers });
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}
