// `npm run example` (with `npm run dev` running): calls the API through the typed client.
// Lists the activity types, registers an attribution with an Idempotency-Key, sends the same
// request again as a retrying app would, and reads the attribution back.
// MENTOR_API_URL (default http://localhost:8787) and MENTOR_API_TOKEN override the defaults;
// without a token, a local coordinator token is made with `npm run token`.
import { execFileSync } from "node:child_process";
import { createMentorActivityClient } from "./index.ts";

const baseUrl = process.env.MENTOR_API_URL ?? "http://localhost:8787";
const token =
  process.env.MENTOR_API_TOKEN ??
  execFileSync(
    process.execPath,
    ["scripts/dev/token.ts", "--sub", "coord-007", "--org", "org-demo", "--roles", "coordinator"],
    { encoding: "utf8" },
  ).trim();

const api = createMentorActivityClient(baseUrl, token);

const types = await api.GET("/api/v1/activity-types");
if (types.error) throw new Error(`activity types: ${types.error.title}: ${types.error.detail}`);
console.log("activity types:", types.data.data.map((t) => t.id).join(", "));

// One key per logical registration: a retry after a lost response sends the same key and body.
const idempotencyKey = crypto.randomUUID();
const registration = {
  activity_type_id: "one-on-one",
  activity_date: `${new Date().toISOString().slice(0, 19)}Z`,
  duration_minutes: 45,
  location: "Community Centre",
  notes: "Registered from the typed client example",
  coordinator_id: "coord-007",
  mentor_id: "mentor-042",
};
const created = await api.POST("/api/v1/activity-attributions", {
  body: registration,
  headers: { "Idempotency-Key": idempotencyKey },
});
if (created.error) throw new Error(`register: ${created.error.title}: ${created.error.detail}`);
console.log(`registered ${created.data.attribution_id} (${created.response.status})`);

const retried = await api.POST("/api/v1/activity-attributions", {
  body: registration,
  headers: { "Idempotency-Key": idempotencyKey },
});
const replayed = retried.response.headers.get("Idempotent-Replayed") === "true";
console.log(`retry with the same key: ${retried.response.status}${replayed ? ", replayed" : ""}`);

const read = await api.GET("/api/v1/activity-attributions/{id}", {
  params: { path: { id: created.data.attribution_id } },
});
if (read.error) throw new Error(`read back: ${read.error.title}: ${read.error.detail}`);
console.log(
  `read back ${read.data.attribution_id}: ${read.data.attributed_to_mentor_name ?? read.data.attributed_to_mentor_id}, ` +
    `${read.data.audit_trail.length} audit event(s)`,
);
