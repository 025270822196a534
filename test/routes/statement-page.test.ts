import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_ORIGIN, workerFetch } from "../helpers/client";

/** A request as the platform's asset router sees it, before the Worker (wrangler.toml [assets]). */
function asset(path: string): Promise<Response> {
  if (env.ASSETS === undefined) throw new Error("wrangler.toml binds the static assets as ASSETS");
  return env.ASSETS.fetch(new Request(`${TEST_ORIGIN}${path}`));
}

describe("/statements/verify, a static asset", () => {
  it("is public/statements/verify.html, served with its Content-Security-Policy from public/_headers", async () => {
    const res = await asset("/statements/verify");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(await res.text()).toContain("<h1>Check a statement of hours</h1>");
    const style = await asset("/statements/verify.css");
    expect(style.status).toBe(200);
    expect(style.headers.get("content-type")).toMatch(/^text\/css/);
  });

  it("leaves /api and /.well-known to the Worker: no asset answers there", async () => {
    for (const path of ["/api/v1/members", "/.well-known/audit-log-keys", "/_headers"]) {
      expect((await asset(path)).status, path).toBe(404);
    }
    const keys = await workerFetch()(new Request(`${TEST_ORIGIN}/.well-known/audit-log-keys`));
    expect(keys.status).toBe(200);
  });
});
