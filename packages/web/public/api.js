// @ts-check
/**
 * The HTTP API v1 client: the only way the UI reads or changes anything. When the server wants an
 * API key, the key is kept in sessionStorage (this browser tab's session only) and sent as a bearer
 * token.
 */

const keyStorageName = "agentfold.apiKey";

/** An error answer of the API: `{ error: { code, message } }` with its HTTP status. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** @returns {string | null} */
export function apiKey() {
  return sessionStorage.getItem(keyStorageName);
}

/** @param {string} key */
export function setApiKey(key) {
  sessionStorage.setItem(keyStorageName, key);
}

export function clearApiKey() {
  sessionStorage.removeItem(keyStorageName);
}

/** @returns {Record<string, string>} */
export function authHeaders() {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * Calls the API and returns the parsed JSON, or throws an ApiError.
 *
 * @param {"GET" | "POST"} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json", ...authHeaders() };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check that agentfold serve is running, then retry.");
  }
  const text = await response.text();
  /** @type {any} */
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = parsed?.error;
    throw new ApiError(
      response.status,
      error?.code || "http_error",
      error?.message || `The server answered ${response.status} ${response.statusText}.`,
    );
  }
  return parsed;
}

/** @param {string} id */
const thread = (id) => `/v1/threads/${encodeURIComponent(id)}`;

/**
 * The API calls the UI makes. Changes use `wait=0`: the answer comes at once and the thread's progress
 * arrives through its stream.
 */
export const api = {
  /** @param {{ status?: string, agent?: string, q?: string, createdFrom?: string, createdBefore?: string, limit?: number, cursor?: string }} [query] */
  listThreads(query = {}) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(name, String(value));
    const search = params.toString();
    return request("GET", `/v1/threads${search ? `?${search}` : ""}`);
  },
  /** @param {string} id */
  thread: (id) => request("GET", thread(id)),
  /**
   * Starts a thread of `agent` with a first message; answers at once, the thread runs on.
   *
   * @param {string} agent
   * @param {string} message
   */
  launch: (agent, message) => request("POST", "/v1/threads?wait=0", { agent, message }),
  agents: () => request("GET", "/v1/agents"),
  /** @param {string} id */
  context: (id) => request("GET", `${thread(id)}/context`),
  /** @param {string} id */
  timing: (id) => request("GET", `${thread(id)}/timing`),
  /**
   * @param {string} id
   * @param {string} callId
   * @param {{ approved: boolean, comment?: string, args?: Record<string, unknown>, argsHash?: string }} decision
   */
  decide: (id, callId, decision) => request("POST", `${thread(id)}/approvals/${encodeURIComponent(callId)}?wait=0`, decision),
  /**
   * @param {string} id
   * @param {string} callId
   * @param {string} text
   */
  respond: (id, callId, text) => request("POST", `${thread(id)}/responses/${encodeURIComponent(callId)}?wait=0`, { text }),
  /**
   * @param {string} id
   * @param {string} text
   */
  message: (id, text) => request("POST", `${thread(id)}/messages?wait=0`, { text }),
  /** @param {string} id */
  cancel: (id) => request("POST", `${thread(id)}/cancel`, { reason: "canceled from the web inbox" }),
  /**
   * @param {string} id
   * @param {number} atEvent
   */
  fork: (id, atEvent) => request("POST", `${thread(id)}/fork?wait=0`, { atEvent }),
};

/**
 * Maps with at most `limit` calls in flight (for loading many threads without flooding the server).
 *
 * @template T, R
 * @param {readonly T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<R>} map
 * @returns {Promise<R[]>}
 */
export async function mapLimit(items, limit, map) {
  /** @type {R[]} */
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(/** @type {T} */ (items[index]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
