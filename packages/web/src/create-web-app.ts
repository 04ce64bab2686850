/**
 * `createWebApp`: the inbox and thread inspector as a Hono app. The UI is hand-written ES modules and
 * one stylesheet in `public/`; they are read once when the app is created and served from memory, so
 * only the files that ship can ever be served (no path from a request reaches the file system).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { ServerExtension } from "@agentfold/server";

/** Where the UI's files live: `index.html`, `styles.css` and the `.js` modules. */
export const webAssetsDirectory = fileURLToPath(new URL("../public/", import.meta.url));

export interface WebAsset {
  /** The URL path it is served at: `/` for `index.html`, `/assets/<file>` for the rest. */
  path: string;
  contentType: string;
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/**
 * Modules the UI imports from installed packages rather than from `public/`: the browser asks for
 * `/assets/<name>`, and the file is read from the package's own build (no copy in this repo).
 */
const packageModules: Record<string, string> = {
  "eventsource-parser.js": "eventsource-parser",
};

function assetOf(path: string, contentType: string, body: Uint8Array<ArrayBuffer>): WebAsset {
  return { path, contentType, body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

/**
 * The UI's files, keyed by the path they are served at.
 *
 * @example
 * webAssets().get("/")?.contentType; // "text/html; charset=utf-8"
 */
export function webAssets(directory: string = webAssetsDirectory): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  for (const name of readdirSync(directory).sort()) {
    const contentType = contentTypes[extname(name)];
    if (!contentType) continue;
    const path = name === "index.html" ? "/" : `/assets/${name}`;
    assets.set(path, assetOf(path, contentType, new Uint8Array(readFileSync(join(directory, name)))));
  }
  for (const [name, specifier] of Object.entries(packageModules)) {
    const path = `/assets/${name}`;
    if (assets.has(path)) continue; // a customised UI's own copy wins
    const file = fileURLToPath(import.meta.resolve(specifier));
    assets.set(path, assetOf(path, "text/javascript; charset=utf-8", new Uint8Array(readFileSync(file))));
  }
  if (!assets.has("/")) throw new Error(`The web UI has no index.html in ${directory}; reinstall @agentfold/web.`);
  return assets;
}

/**
 * The page may only load its own scripts, styles and API: nothing inline, nothing from elsewhere. The
 * UI writes untrusted text with `textContent`; this is the second line of defence.
 */
const policyDirectives = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  formAction: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
};

/** The `Content-Security-Policy` header the UI is served with. */
export const contentSecurityPolicy = Object.entries(policyDirectives)
  .map(([name, sources]) => `${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} ${sources.join(" ")}`)
  .join("; ");

/**
 * The UI's security headers (Hono's secure-headers middleware): the policy above, no framing, no
 * referrer, no MIME sniffing, and its cross-origin isolation defaults. Strict-Transport-Security is
 * left to whatever terminates TLS in front of the server: the inbox is often served over plain HTTP
 * on localhost, where the header means nothing.
 */
const uiSecurityHeaders = secureHeaders({
  contentSecurityPolicy: policyDirectives,
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  strictTransportSecurity: false,
});

export interface WebAppOptions {
  /** Serve the files of another directory (for a customised UI). Default: this package's `public/`. */
  directory?: string;
  /**
   * Milliseconds between the inbox's looks for new approvals and questions. Default 3000: there is
   * no stream across threads, and a few seconds is soon enough for a person while costing the
   * server one list request per open inbox and interval. Tests set a short one.
   */
  inboxRefreshMs?: number;
}

/** The `<meta>` through which index.html tells inbox.js its refresh interval (the CSP allows no inline script). */
export const inboxRefreshMeta = "agentfold-inbox-refresh-ms";

function withInboxRefresh(assets: Map<string, WebAsset>, refreshMs: number): void {
  if (!Number.isSafeInteger(refreshMs) || refreshMs < 10) {
    throw new RangeError(`inboxRefreshMs must be a whole number of milliseconds, at least 10, got ${refreshMs}.`);
  }
  const page = assets.get("/")!;
  const html = new TextDecoder().decode(page.body);
  if (!html.includes("</head>")) throw new Error("The web UI's index.html has no </head> to put the inbox refresh interval in.");
  const body = new TextEncoder().encode(html.replace("</head>", `  <meta name="${inboxRefreshMeta}" content="${refreshMs}" />\n  </head>`));
  const bytes = new Uint8Array(body);
  assets.set("/", { ...page, body: bytes, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 22)}"` });
}

/**
 * The UI as a Hono app serving `GET /` and `GET /assets/*`. Anything else falls through to the app it
 * is mounted in.
 *
 * @example
 * app.route("/", createWebApp());
 * app.route("/", createWebApp({ inboxRefreshMs: 100 })); // a test that watches the inbox refresh
 */
export function createWebApp(options: WebAppOptions = {}): Hono {
  const assets = webAssets(options.directory);
  if (options.inboxRefreshMs !== undefined) withInboxRefresh(assets, options.inboxRefreshMs);
  const app = new Hono();
  // Only on the UI's own paths: a middleware on "*" would also stamp the API's responses once this
  // app is mounted into the server's.
  app.use("/", uiSecurityHeaders);
  app.use("/assets/*", uiSecurityHeaders);
  app.get("*", async (c, next) => {
    const asset = assets.get(c.req.path);
    if (!asset) return next();
    const headers: Record<string, string> = {
      "content-type": asset.contentType,
      // Revalidate every time: the files are small and a new version must show at once after an upgrade.
      "cache-control": "no-cache",
      etag: asset.etag,
    };
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });
  return app;
}

/**
 * The UI as a server extension: `startServer({ ..., extensions: [webInbox()] })` serves it at `/`.
 * It only answers `GET /` and `GET /assets/*`; the UI itself talks to the public HTTP API.
 *
 * @example
 * await startServer({ store: "agentfold.db", agents, model, port: 3000, extensions: [webInbox()] });
 */
export function webInbox(options: WebAppOptions = {}): ServerExtension {
  const app = createWebApp(options);
  return {
    name: "web-inbox",
    mount: (context) => {
      context.app.route("/", app);
    },
  };
}
