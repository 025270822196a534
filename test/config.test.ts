import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { auditKeys } from "../src/audit/keys";
import { parseConfig } from "../src/config";
import type { Env } from "../src/env";
import { newOrg } from "./helpers/api";
import { event } from "./helpers/audit";

const configured = (vars: Partial<Env>): Env => ({ ...env, ...vars });

describe("the configuration schema", () => {
  it("lists every problem at once, each naming its var", () => {
    const result = parseConfig(
      configured({
        JWT_SECRET: undefined,
        JWKS_URL: "http://idp.example/jwks.json",
        JWT_MAX_TTL_SECONDS: "a day",
        SYNC_RETENTION_DAYS: "-3",
        DIRECTORY_CACHE_SECONDS: "1.5",
        CORS_ORIGINS: "https://console.example, https://console.example/app",
        D1_DATABASES: '{"DB_1": {}, "DB_9": {}}',
        AUDIT_LOG_JURISDICTIONS: "off",
      }),
    );
    expect(result.ok ? [] : result.problems).toEqual([
      "JWKS_URL must be an https URL",
      "JWT_MAX_TTL_SECONDS must be a whole number of seconds above 0",
      "SYNC_RETENTION_DAYS must be a whole number of days above 0",
      "DIRECTORY_CACHE_SECONDS must be a whole number of seconds above 0",
      'CORS_ORIGINS: "https://console.example/app" is not an origin (scheme://host[:port], no path)',
      'AUDIT_LOG_JURISDICTIONS must be unset, or "ignore" where jurisdictions do not exist',
      "JWKS_URL is set but JWT_ISSUER is not: the issuer must be checked",
      "JWKS_URL is set but JWT_AUDIENCE is not: the audience must be checked",
      "D1_DATABASES names DB_9, but the Worker has no D1 binding of that name",
    ]);
  });

  it("reads the test configuration into one typed config, its defaults where vars are unset", () => {
    const result = parseConfig(configured({ CORS_ORIGINS: " https://console.example ", JWT_ISSUER: "" }));
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.config).toMatchObject({
      keys: { kind: "secret", isDevelopmentSecret: false },
      issuer: undefined,
      maxTokenTtlSeconds: 86_400,
      corsOrigins: ["https://console.example"],
      syncRetentionDays: 90,
      directoryCacheSeconds: 60,
      ignoreJurisdictions: true,
      localDevelopment: false,
      rateLimits: {
        caller: { requests: 100, periodSeconds: 60 },
        anonymous: { requests: 30, periodSeconds: 60 },
      },
      audit: { name: "mentor-activity-api", problems: [] },
    });
    expect(result.config.databases.placement.candidates).toEqual(["DB_1", "DB_2"]);
  });

  it("takes LOCAL_DEVELOPMENT as true or unset, and never beside JWKS_URL", () => {
    const development = parseConfig(configured({ LOCAL_DEVELOPMENT: "true" }));
    expect(development.ok && development.config.localDevelopment).toBe(true);
    expect(parseConfig(configured({ LOCAL_DEVELOPMENT: "yes" }))).toEqual({
      ok: false,
      problems: ['LOCAL_DEVELOPMENT must be unset, or "true"'],
    });
    const deployment = (localDevelopment: string) =>
      parseConfig(
        configured({
          JWT_SECRET: undefined,
          JWKS_URL: "https://idp.example/jwks.json",
          JWT_ISSUER: "https://idp.example",
          JWT_AUDIENCE: "mentor-activity-api",
          AUDIT_LOG_JURISDICTIONS: undefined,
          LOCAL_DEVELOPMENT: localDevelopment,
        }),
      );
    expect(deployment("true")).toEqual({
      ok: false,
      problems: ["LOCAL_DEVELOPMENT is for npm run dev only, and JWKS_URL says this is a deployment"],
    });
    // A value that is not "true" raises no flag: its own problem is the one listed.
    expect(deployment("yes")).toEqual({
      ok: false,
      problems: ['LOCAL_DEVELOPMENT must be unset, or "true"'],
    });
  });

  it("shows the default for a limiter's number that is not one, since the binding holds the real quota", () => {
    const result = parseConfig(
      configured({ RATE_LIMIT_REQUESTS: "lots", IP_RATE_LIMIT_PERIOD_SECONDS: "0" }),
    );
    expect(result.ok && result.config.rateLimits).toEqual({
      caller: { requests: 100, periodSeconds: 60 },
      anonymous: { requests: 30, periodSeconds: 60 },
    });
  });

  it("leaves the audit log's key problems to the log: the API is configured, the log refuses appends and says why", async () => {
    const vars = { AUDIT_PUBLIC_KEYS: '[{"public_key": "c2hvcnQ="}]', AUDIT_LOG_ORIGIN: "bad origin" };
    const result = parseConfig(configured(vars));
    const problems = [
      "AUDIT_LOG_ORIGIN must hold no space, '+' or line break",
      "AUDIT_PUBLIC_KEYS[0].public_key is not the base64 of a 32-byte Ed25519 key",
    ];
    expect(result.ok && result.config.audit).toMatchObject({ signer: null, problems });
    expect(auditKeys(configured(vars))).toMatchObject({ signer: null, problems });

    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(newOrg("keys")));
    await stub.verify();
    await runInDurableObject(stub, (instance) => {
      const object = instance as unknown as { env: Record<string, unknown> };
      object.env = { ...object.env, ...vars };
    });
    expect(await stub.append([event("refused")])).toEqual({
      status: "refused",
      reason: "no_signing_key",
      detail: problems.join("; "),
    });
  });
});
