import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = join(import.meta.dirname, "../../test-results/docs.png");
const RENDER_TIMEOUT_MS = 30_000;
const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
/** Buttons of services this deployment does not run: the AI agent, MCP installs, the share/deploy toolbar. */
const ABSENT_BUTTONS = ["Ask AI", "VS Code", "Cursor", "Developer Tools", "Configure", "Share", "Deploy"];

interface OpenApiDocument {
  tags: { name: string }[];
  paths: Record<string, Record<string, { summary?: string; operationId?: string }>>;
}

let server: DevServer;
let browser: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  server = await startDevServer();
  userDataDir = mkdtempSync(join(tmpdir(), "mentor-e2e-chromium-"));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await server?.stop();
});

describe("/docs in Chromium", () => {
  it("lists every tag and operation of the document and loads nothing from off the machine", async () => {
    const spec = (await (await fetch(`${server.base}/openapi.json`)).json()) as OpenApiDocument;
    const tags = spec.tags.map((tag) => tag.name);
    const summaries = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, operation]) => {
          if (!operation.summary) throw new Error(`${method} ${path} has no summary`);
          return operation.summary;
        }),
    );
    expect(summaries.length).toBeGreaterThan(20);

    const page = browser.pages()[0] ?? (await browser.newPage());
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const cspViolations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });

    const response = await page.goto(`${server.base}/docs`, { waitUntil: "networkidle" });
    expect(response?.status()).toBe(200);
    const missingFrom = async (expected: string[]) => {
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees; collapsed groups must not count.
      const text = await page.locator("body").innerText();
      return expected.filter((item) => !text.includes(item));
    };
    // The sidebar lists each tag as a collapsed group; open every group as a reader would.
    await expect.poll(() => missingFrom(tags), { timeout: RENDER_TIMEOUT_MS }).toEqual([]);
    for (const tag of tags) {
      const opener = page.getByRole("button", { name: `Open Group - ${tag}`, exact: true });
      if ((await opener.count()) > 0) await opener.first().click();
    }
    await expect.poll(() => missingFrom([...tags, ...summaries]), { timeout: RENDER_TIMEOUT_MS }).toEqual([]);

    // Only what this deployment serves: none of the hosted services' buttons, the bearer scheme chosen.
    const buttons = await page
      .locator("button, [role=button]")
      .evaluateAll((elements) =>
        elements.map((e) => (e.getAttribute("aria-label") ?? e.textContent ?? "").trim()),
      );
    expect(buttons.filter((name) => ABSENT_BUTTONS.includes(name))).toEqual([]);
    expect(buttons).toContain("Selected Auth Type: bearerAuth");

    mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    expect(requests.length).toBeGreaterThan(2);
    const offMachine = requests.filter((url) => {
      const { protocol, hostname } = new URL(url);
      if (protocol === "data:" || protocol === "blob:") return false;
      return hostname !== "127.0.0.1" && hostname !== "localhost";
    });
    expect(offMachine).toEqual([]);
    expect(requests).toContain(`${server.base}/openapi.json`);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
