import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleStatement,
  issueStatement,
  type LogKey,
  verifierKeyOf,
} from "../../scripts/dev/statement-bundle";
import type { StatementBundle } from "../../src/audit/statement";
import { type DevServer, E2E_AUDIT_SIGNING_KEY, startDevServer } from "./dev-server";

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
const RESULTS = join(import.meta.dirname, "../../test-results");
const PAGE = "/statements/verify";
const DESKTOP = { width: 1024, height: 900 };
const PHONE = { width: 375, height: 812 };

/** The server's own audit log key: what its /.well-known/audit-log-keys publishes. */
const SERVER_KEY: LogKey = { signingKey: E2E_AUDIT_SIGNING_KEY };

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

function strangerKey(): LogKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return { signingKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64") };
}

/** A page of the server, watched for requests, script errors and CSP reports. */
async function openPage(viewport: { width: number; height: number }) {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) errors.push(message.text());
  });
  const response = await page.goto(`${server.base}${PAGE}`, { waitUntil: "networkidle" });
  return { page, requests, errors, response };
}

const offMachine = (requests: readonly string[]) =>
  requests.filter((url) => {
    const { protocol, hostname } = new URL(url);
    return protocol !== "data:" && protocol !== "blob:" && hostname !== "127.0.0.1";
  });

async function resultText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: what the reader sees is what is checked.
  return page.locator("#result").innerText();
}

/** The element with the keyboard focus (an expression: this file is typed without the DOM's globals). */
const focusedId = (page: Page) => page.evaluate<string | undefined>("document.activeElement?.id");

async function dropFile(page: Page, bundle: StatementBundle): Promise<void> {
  await page.getByLabel("Choose the statement file").setInputFiles({
    name: "statement.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(bundle, null, 2)),
  });
}

async function paste(page: Page, bundle: StatementBundle): Promise<void> {
  await page.getByLabel("Or paste the statement's text").fill(JSON.stringify(bundle));
  await page.getByRole("button", { name: "Check the statement" }).click();
}

describe("the deployment serves /statements/verify", () => {
  it("from its static assets, with a CSP that allows this origin alone, while the Worker still answers the API", async () => {
    const page = await fetch(`${server.base}${PAGE}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*|unsafe/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/statements/verify.js"></script>');
    expect(html).not.toMatch(/<script>|https?:\/\//);

    const script = await fetch(`${server.base}/statements/verify.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(await script.text()).not.toMatch(/\bimport\s*\(|from\s*"https?:/);

    const keys = await fetch(`${server.base}/.well-known/audit-log-keys`);
    expect(keys.status).toBe(200);
    const { keys: published } = (await keys.json()) as { keys: { verifier_key: string }[] };
    expect(published.map((key) => key.verifier_key)).toContain(verifierKeyOf(SERVER_KEY));
    const api = await fetch(`${server.base}/api/v1/members`);
    expect(api.status).toBe(401);
    expect(api.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});

describe("/statements/verify in Chromium", () => {
  it("shows a valid statement as verified: mentor, period, hours by type and every activity", async () => {
    const { page, requests, errors, response } = await openPage(DESKTOP);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator("#key-status").textContent()).toMatch(/came from this website/);

    await dropFile(page, issueStatement(exampleStatement(), SERVER_KEY, { before: 40, after: 2 }));
    await expect.poll(() => resultText(page)).toMatch(/^Verified\n/);
    const text = await resultText(page);
    expect(text).toContain("Sam Rivera (ID mentor-042)");
    expect(text).toContain("1 January 2026 to 31 March 2026 (Europe/London)");
    expect(text).toContain("3.25 hours (195 minutes) in 3 activities");
    const typeRows = await page
      .getByRole("table", { name: "Hours by activity type" })
      .locator("tbody tr")
      .allInnerTexts();
    expect(typeRows.map((row) => row.split("\t"))).toEqual([
      ["One-to-one mentoring", "2", "1.75"],
      ["Group workshop", "1", "1.5"],
    ]);
    const activities = await page
      .getByRole("table", { name: "Activities" })
      .locator("tbody tr")
      .allInnerTexts();
    expect(activities.map((row) => row.split("\t"))).toEqual([
      ["14 Jan 2026", "One-to-one mentoring", "1 h", "Approved by the organisation"],
      ["3 Feb 2026", "Group workshop", "1 h 30 min", "Confirmed by the mentor"],
      ["10 Mar 2026", "One-to-one mentoring", "45 min", "No approval needed"],
    ]);
    expect(text).toContain("Recorded as entry log-041 of the log mentor-activity-api/org-demo");
    // The answer takes the focus, so a screen reader and the keyboard land on it.
    expect(await focusedId(page)).toBe("result");

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, "statement-verify.png"), fullPage: true });
    expect(offMachine(requests)).toEqual([]);
    expect(requests).toContain(`${server.base}/.well-known/audit-log-keys`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a changed total as not verified, saying which figures disagree", async () => {
    const { page, requests, errors } = await openPage(DESKTOP);
    const bundle = issueStatement(exampleStatement(), SERVER_KEY);
    bundle.statement.totals.minutes = 2550;
    await paste(page, bundle);
    await expect.poll(() => resultText(page)).toMatch(/^Not verified\n/);
    expect(await resultText(page)).toContain(
      "The totals do not add up: the statement says 2550 minutes in all, but its activities add up to 195.",
    );
    expect(await page.locator("#result .verified").count()).toBe(0);
    expect(offMachine(requests)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a statement signed by another key as not verified, naming the key", async () => {
    const { page, requests, errors } = await openPage(DESKTOP);
    const stranger = strangerKey();
    await paste(page, issueStatement(exampleStatement(), stranger));
    await expect.poll(() => resultText(page)).toMatch(/^Not verified\n/);
    const strangerId = verifierKeyOf(stranger).split("+")[1];
    const serverId = verifierKeyOf(SERVER_KEY).split("+")[1];
    expect(await resultText(page)).toContain(
      `The statement is not signed by a key of the organisation: it was signed by mentor-activity-api+${strangerId}, which is not among the keys given (mentor-activity-api+${serverId}).`,
    );
    await page.screenshot({ path: join(RESULTS, "statement-verify-another-key.png"), fullPage: true });
    expect(offMachine(requests)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("checks with a pasted key when this website's keys cannot be loaded, and fits a phone's width", async () => {
    const page = await browser.newPage();
    await page.setViewportSize(PHONE);
    await page.route("**/.well-known/audit-log-keys", (route) => route.abort("internetdisconnected"));
    await page.goto(`${server.base}${PAGE}`, { waitUntil: "networkidle" });
    await expect.poll(() => page.locator("#key-status").textContent()).toMatch(/could not be loaded/);
    expect(await page.locator("#offline").getAttribute("open")).not.toBeNull();

    await page.getByLabel("The organisation's public key").fill("mentor-activity-api+00000000+AAAA");
    await paste(page, issueStatement(exampleStatement(), SERVER_KEY));
    expect(await page.locator("#key-error").textContent()).toMatch(/^This is not a public key: /);
    expect(await focusedId(page)).toBe("key");

    await page.getByLabel("The organisation's public key").fill(verifierKeyOf(SERVER_KEY));
    await page.getByRole("button", { name: "Check the statement" }).click();
    await expect.poll(() => resultText(page)).toMatch(/^Verified\n/);
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(
      PHONE.width,
    );
    await page.screenshot({ path: join(RESULTS, "statement-verify-phone.png"), fullPage: true });
    await page.close();
  });
});
