import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { api } from "../helpers/client";
import { withAuditDown } from "../helpers/doubles";
import { testOrg } from "../helpers/org";
import { outboxSize } from "../helpers/outbox";
import { attributionBody } from "../helpers/world";

/**
 * The bindings of a deployment, where Durable Object jurisdictions exist: workerd has none (it
 * throws), so the namespace is a double that records each jurisdiction asked for and which
 * namespace each audit call went through, then serves it from the real objects.
 */
function deployment() {
  const asked: string[] = [];
  const calls: string[] = [];
  const through = (label: string, namespace: Env["AUDIT_LOG"]): Env["AUDIT_LOG"] =>
    new Proxy(namespace, {
      get(target, prop) {
        if (prop === "jurisdiction") {
          return (jurisdiction: string) => {
            asked.push(jurisdiction);
            return through(jurisdiction, target);
          };
        }
        if (prop === "get") {
          return (id: DurableObjectId) => {
            const stub = target.get(id);
            return new Proxy(stub, {
              get(s, method) {
                const value: unknown = Reflect.get(s, method);
                if (typeof method !== "string" || method === "then" || typeof value !== "function")
                  return value;
                return (...args: unknown[]) => {
                  calls.push(`${label}:${method}`);
                  return (value as (...a: unknown[]) => unknown)(...args);
                };
              },
            });
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const bindings: Env = {
    ...env,
    AUDIT_LOG_JURISDICTIONS: undefined,
    AUDIT_LOG: through("global", env.AUDIT_LOG),
  };
  return { bindings, asked, calls };
}

describe("audit objects in a deployment with jurisdictions", () => {
  it("come from AUDIT_LOG.jurisdiction('eu') for an organisation on the EU database", async () => {
    const o = await testOrg("eu-audit", { database: "DB_3" });
    const d = deployment();
    const created = await api(o.coordinator, { bindings: d.bindings }).POST("/api/v1/activity-attributions", {
      body: attributionBody(o.coordinator.sub, o.mentor.sub),
    });
    expect(created.response.status).toBe(201);
    const trail = await api(o.compliance, { bindings: d.bindings }).GET("/api/v1/proxy-audit-logs");
    expect(trail.data?.pagination.total).toBe(1);
    expect(d.asked).toEqual(["eu", "eu"]);
    expect(d.calls).toEqual(["eu:append", "eu:list"]);
  });

  it("come from the plain namespace for an organisation without a jurisdiction", async () => {
    const o = await testOrg("plain-audit", { database: "DB_1" });
    const d = deployment();
    const created = await api(o.coordinator, { bindings: d.bindings }).POST("/api/v1/activity-attributions", {
      body: attributionBody(o.coordinator.sub, o.mentor.sub),
    });
    expect(created.response.status).toBe(201);
    expect(d.asked).toEqual([]);
    expect(d.calls).toEqual(["global:append"]);
  });

  it("are where the cron delivers an EU organisation's waiting events", async () => {
    const o = await testOrg("eu-cron", { database: "DB_3" });
    await api(o.coordinator, { bindings: withAuditDown() }).POST("/api/v1/activity-attributions", {
      body: attributionBody(o.coordinator.sub, o.mentor.sub),
    });
    expect(await outboxSize(o.db, o.org)).toBe(1);
    const d = deployment();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), d.bindings);
    expect(await outboxSize(o.db, o.org)).toBe(0);
    expect(d.asked).toContain("eu");
    expect(d.calls).toContain("eu:append");
  });
});
