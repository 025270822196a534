import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import type { Env } from "../../src/env";
import { api, TEST_ORIGIN, workerFetch } from "../helpers/client";
import { testOrg } from "../helpers/org";

type EntryInput = components["schemas"]["ProxyAuditLogInput"];

const BASE = "/api/v1/proxy-audit-logs";
const ENTRY = "/api/v1/proxy-audit-logs/{id}";
const LOGS = "/api/v1/activity-logs";

/** The Worker as `npm run dev` starts it: wrangler passes on whatever CF-Connecting-IP a client sends. */
const development = (extra: Partial<Env> = {}): Env => ({ ...env, LOCAL_DEVELOPMENT: "true", ...extra });

const ENTRY_BODY: EntryInput = {
  action: "proxy_created",
  coordinator_id: "coord-119",
  mentor_id: "mentor-482",
  activity_id: "pa-005",
};

describe("under npm run dev (LOCAL_DEVELOPMENT)", () => {
  it("records no client address on an audit entry, whatever CF-Connecting-IP the client sends", async () => {
    const o = await testOrg();
    const headers = { "CF-Connecting-IP": "203.0.113.66", "User-Agent": "EircodexApp/2.1 Android" };
    const appended = await api(o.system, { bindings: development() }).POST(BASE, {
      body: ENTRY_BODY,
      headers,
    });
    expect(appended.response.status).toBe(201);
    const id = appended.data?.id ?? "";
    const { data } = await api(o.admin).GET(ENTRY, { params: { path: { id } } });
    expect(data).toMatchObject({ ip_address: null, user_agent: "EircodexApp/2.1 Android" });

    // The same request to a deployed Worker, where the edge sets the header, records it.
    const deployed = await api(o.system).POST(BASE, {
      body: { ...ENTRY_BODY, activity_id: "pa-006" },
      headers,
    });
    const recorded = await api(o.admin).GET(ENTRY, { params: { path: { id: deployed.data?.id ?? "" } } });
    expect(recorded.data).toMatchObject({ ip_address: "203.0.113.66" });
  });

  it("records no client address on the entries of a coordinator's registration either", async () => {
    const o = await testOrg();
    const created = await api(o.coordinator, {
      bindings: development(),
      headers: { "CF-Connecting-IP": "198.51.100.23" },
    }).POST("/api/v1/activity-attributions", {
      body: {
        activity_type_id: "workshop",
        activity_date: "2026-03-26T09:00:00Z",
        duration_minutes: 60,
        coordinator_id: "coord-007",
        mentor_id: "mentor-033",
      },
    });
    expect(created.response.status).toBe(201);
    const list = await api(o.admin).GET(BASE);
    const [entry] = list.data?.data ?? [];
    expect(entry?.action).toBe("proxy_created");
    const { data } = await api(o.admin).GET(ENTRY, { params: { path: { id: entry?.id ?? "" } } });
    expect(data?.ip_address).toBeNull();
  });

  it("counts every request without a valid token against one quota, whatever address it claims", async () => {
    const quota = Number(env.LOW_RATE_LIMIT);
    const limited = development({
      IP_RATE_LIMITER: env.LOW_RATE_LIMITER,
      IP_RATE_LIMIT_REQUESTS: env.LOW_RATE_LIMIT,
    });
    const statuses: number[] = [];
    // A new address on every request: counted by it, a client that writes the header itself would
    // never run out. Twice the quota and one, so a window that ends midway still ends in a refusal.
    for (let i = 1; i <= 2 * quota + 1 && !statuses.includes(429); i += 1) {
      const request = new Request(`${TEST_ORIGIN}${LOGS}`, {
        headers: { Authorization: "Bearer not.a.token", "CF-Connecting-IP": `192.0.2.${i}` },
      });
      statuses.push((await workerFetch(limited)(request)).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
  });
});
