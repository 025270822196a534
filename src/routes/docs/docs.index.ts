import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";

/** Where the Worker's static assets serve the reference page's script (see scripts/build/assets.ts). */
const DOCS_SCRIPT_PATH = "/docs/assets/scalar-standalone.js";

function docsCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const nonces = new WeakMap<Request, string>();

/**
 * The interactive reference. Its script comes from this Worker, never a CDN, and
 * the page runs under a nonce-based CSP, so it works offline.
 */
export const docsRouter = new Hono().get(
  "/docs",
  async (c, next) => {
    const nonce = crypto.randomUUID().replaceAll("-", "");
    nonces.set(c.req.raw, nonce);
    await next();
    c.res.headers.set("Content-Security-Policy", docsCsp(nonce));
  },
  Scalar((c) => ({
    url: "/openapi.json",
    pageTitle: "Mentor Activity API reference",
    cdn: DOCS_SCRIPT_PATH,
    nonce: nonces.get(c.req.raw) ?? "",
    withDefaultFonts: false,
    telemetry: false,
    // Only what this deployment serves: no hosted AI agent, MCP generator, share/deploy toolbar
    // or developer tools, and the API's one security scheme chosen from the start.
    hideClientButton: true,
    agent: { disabled: true },
    mcp: { disabled: true },
    showToolbar: "never",
    showDeveloperTools: "never",
    authentication: { preferredSecurityScheme: "bearerAuth" },
  })),
);
