import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type components, createMentorActivityClient } from "../../clients/typescript/index";
import { verifyToken } from "../../src/auth/verify";
import { type Config, parseConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { call, json, newOrg } from "../helpers/api";
import { signToken, TEST_SECRET } from "../helpers/auth";
import { api, TEST_ORIGIN, workerFetch } from "../helpers/client";
import { databaseBindings } from "../helpers/databases";
import { testOrg } from "../helpers/org";

type Problem = components["schemas"]["Problem"];

const PATH = "/api/v1/activity-types";

/** The typed client sending `token` as it is, however it was made. */
const withToken = (token: string) => createMentorActivityClient(TEST_ORIGIN, token, { fetch: workerFetch() });

/** A 401 answer: the typed client's, or (for a request sent raw) a response. */
async function expectUnauthorized(
  sent: Response | { response: Response; error?: Problem },
  detail: RegExp,
): Promise<void> {
  const res = sent instanceof Response ? sent : sent.response;
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = sent instanceof Response ? await json<Problem>(sent) : sent.error;
  expect(body?.status).toBe(401);
  expect(body?.title).toBe("Unauthorized");
  expect(body?.detail).toMatch(detail);
}

function base64url(value: object): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

describe("bearer authentication", () => {
  // The typed client always sends a bearer token, so these two are sent raw.
  it("rejects a request without a token", async () => {
    await expectUnauthorized(await call("GET", PATH), /bearer token is required/);
  });

  it("rejects an Authorization header that is not a bearer JWT", async () => {
    const res = await call("GET", PATH, { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
    await expectUnauthorized(res, /not a bearer token/);
  });

  it("rejects a malformed token", async () => {
    await expectUnauthorized(await withToken("abc.def.ghi").GET(PATH), /could not be verified/);
  });

  it("rejects an expired token", async () => {
    const token = await signToken({ sub: "m1", org: newOrg(), roles: ["mentor"], ttl: -60 });
    await expectUnauthorized(await withToken(token).GET(PATH), /expired/);
  });

  it("rejects a token signed with another secret", async () => {
    const token = await signToken(
      { sub: "m1", org: newOrg(), roles: ["mentor"] },
      "another-secret-value-0000000000",
    );
    await expectUnauthorized(await withToken(token).GET(PATH), /could not be verified/);
  });

  it("rejects an unsigned token (alg: none)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${base64url({ alg: "none", typ: "JWT" })}.${base64url({
      sub: "admin-1",
      org: newOrg(),
      roles: ["admin"],
      exp: now + 3600,
    })}.`;
    await expectUnauthorized(await withToken(token).GET(PATH), /could not be verified/);
  });

  it("rejects a token without the org claim", async () => {
    const token = await new SignJWT({ roles: ["mentor"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("m1")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(TEST_SECRET));
    await expectUnauthorized(await withToken(token).GET(PATH), /claims/);
  });

  it("rejects a token whose sub is not shaped as a member ID, such as the changes feed's shared audiences", async () => {
    const o = await testOrg();
    const logged = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: {
        activity_type: "check_in",
        description: "mentor-042's own",
        occurred_at: "2026-03-10T09:00:00Z",
      },
    });
    expect(logged.response.status).toBe(201);
    for (const sub of ["*", "@members", "mentor 042", "-m1"]) {
      const token = await signToken(o.as(sub, "mentor"));
      const feed = await withToken(token).GET("/api/v1/sync/changes");
      await expectUnauthorized(feed, /claims/);
    }
    // The mentor's own feed still holds its entry: nothing was changed by the refused calls.
    const own = await api(o.mentor).GET("/api/v1/sync/changes", { params: { query: { limit: 500 } } });
    expect(own.data?.changes.map((c) => c.id)).toContain(logged.data?.log_id);
  });

  it("rejects a token without exp", async () => {
    const token = await new SignJWT({ org: newOrg(), roles: ["mentor"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("m1")
      .sign(new TextEncoder().encode(TEST_SECRET));
    await expectUnauthorized(await withToken(token).GET(PATH), /exp/);
  });

  it("answers 403 to a member whose record is inactive, and lets them back in once reactivated", async () => {
    const o = await testOrg();
    // mentor-999 is on the fixture's record as inactive.
    const former = api(o.as("mentor-999", "mentor"));
    const denied = await former.GET(PATH);
    expect(denied.response.status).toBe(403);
    expect(denied.error?.detail).toMatch(/inactive/);

    const reactivate = await api(o.admin).PUT("/api/v1/members/{member_id}", {
      params: { path: { member_id: "mentor-999" } },
      body: { name: "Mentor One", roles: ["mentor"], active: true },
    });
    expect(reactivate.response.status).toBe(200);
    expect((await former.GET(PATH)).response.status).toBe(200);
  });

  it("takes a deactivation made through the API into account at once", async () => {
    const o = await testOrg();
    const coordinator = api(o.otherCoordinator);
    expect((await coordinator.GET(PATH)).response.status).toBe(200);
    const res = await api(o.admin).PUT("/api/v1/members/{member_id}", {
      params: { path: { member_id: o.otherCoordinator.sub } },
      body: { name: "Coord One", roles: ["coordinator"], active: false },
    });
    expect(res.response.status).toBe(200);
    expect((await coordinator.GET(PATH)).response.status).toBe(403);
  });
});

/** The configuration of a set of variables (beside the test's databases), which must parse. */
function configFrom(vars: Partial<Env>): Config {
  const result = parseConfig({ ...databaseBindings(), ...vars } as Env);
  if (!result.ok) throw new Error(`the test's configuration does not parse: ${result.problems.join("; ")}`);
  return result.config;
}

describe("issuer and audience", () => {
  const env = (extra: Partial<Env>): Config => configFrom({ JWT_SECRET: TEST_SECRET, ...extra });

  it("checks iss and aud when they are configured", async () => {
    const key = new TextEncoder().encode(TEST_SECRET);
    const good = await new SignJWT({ org: "o1", roles: ["mentor"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("m1")
      .setIssuer("https://idp.example")
      .setAudience("mentor-api")
      .setExpirationTime("1h")
      .sign(key);
    const caller = await verifyToken(
      good,
      env({ JWT_ISSUER: "https://idp.example", JWT_AUDIENCE: "mentor-api" }),
    );
    expect(caller).toEqual({ sub: "m1", org: "o1", roles: ["mentor"], name: null });

    await expect(
      verifyToken(good, env({ JWT_ISSUER: "https://other.example", JWT_AUDIENCE: "mentor-api" })),
    ).rejects.toMatchObject({ code: "unauthorized", message: expect.stringMatching(/iss/) });
    await expect(verifyToken(good, env({ JWT_AUDIENCE: "other-api" }))).rejects.toMatchObject({
      code: "unauthorized",
      message: expect.stringMatching(/aud/),
    });
  });

  it("drops roles it does not know instead of trusting them", async () => {
    const token = await signToken({ sub: "m1", org: "o1", roles: ["mentor"] });
    const forged = await new SignJWT({ org: "o1", roles: ["mentor", "superuser"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("m1")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(TEST_SECRET));
    expect((await verifyToken(token, env({}))).roles).toEqual(["mentor"]);
    expect((await verifyToken(forged, env({}))).roles).toEqual(["mentor"]);
  });
});

describe("JWKS verification", () => {
  afterEach(() => vi.restoreAllMocks());

  it("verifies an ES256 token against the identity provider's key set and rejects a key it does not list", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ keys: [jwk] }));
    const jwksUrl = `https://idp-${crypto.randomUUID()}.example/.well-known/jwks.json`;
    // With a JWKS the issuer and audience must be checked.
    const env = configFrom({
      JWKS_URL: jwksUrl,
      JWT_ISSUER: "https://idp.example",
      JWT_AUDIENCE: "mentor-api",
    });

    const token = await new SignJWT({ org: "o1", roles: ["coordinator"], name: "Jordan Lee" })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("coord-007")
      .setIssuer("https://idp.example")
      .setAudience("mentor-api")
      .setExpirationTime("1h")
      .sign(privateKey);
    expect(await verifyToken(token, env)).toEqual({
      sub: "coord-007",
      org: "o1",
      roles: ["coordinator"],
      name: "Jordan Lee",
    });
    // The key set is cached: a second verification does not fetch it again.
    await verifyToken(token, env);
    expect(fetchSpy).toHaveBeenCalledTimes(1);

    const other = await generateKeyPair("ES256");
    const foreign = await new SignJWT({ org: "o1", roles: ["admin"] })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("intruder")
      .setIssuer("https://idp.example")
      .setAudience("mentor-api")
      .setExpirationTime("1h")
      .sign(other.privateKey);
    await expect(verifyToken(foreign, env)).rejects.toMatchObject({ code: "unauthorized" });

    const hs = await signToken({ sub: "m1", org: "o1", roles: ["admin"] });
    await expect(verifyToken(hs, env)).rejects.toMatchObject({ code: "unauthorized" });
  });
});
