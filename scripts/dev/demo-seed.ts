// The demo organisation: the people of the seed contracts and a few weeks of
// activity, written through the API so every proxy action reaches the audit log.

export const DEMO_MEMBERS = [
  { id: "mentor-042", name: "Sam Rivera", roles: ["mentor"] },
  { id: "mentor-033", name: "Alex Chen", roles: ["mentor"] },
  { id: "mentor-482", name: "Priya Nair", roles: ["mentor"] },
  { id: "mentor-510", name: "Tomás García", roles: ["mentor"] },
  { id: "mentor_a1b2c3", name: "Morgan Blake", roles: ["mentor"] },
  { id: "coord-007", name: "Jordan Lee", roles: ["coordinator"] },
  { id: "coord-119", name: "Casey Morgan", roles: ["coordinator"] },
  { id: "admin-007", name: "Riley Admin", roles: ["admin"] },
  { id: "compliance-001", name: "Dana Compliance", roles: ["compliance"] },
];

/** Signs a token for one person of org-demo. */
export type TokenFor = (sub: string, roles: string[], name: string) => Promise<string>;

async function request(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok && res.status !== 409) {
    throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  }
  return res.status === 204 ? null : res.json();
}

const MENTORS = ["mentor-042", "mentor-033", "mentor-482", "mentor-510", "mentor_a1b2c3"];
const SELF_TYPES = ["session_completed", "check_in", "referral_made", "documentation", "training_attended"];
const CONTACTS = ["contact_xyz123", "contact_abc456", "contact_def789", null];

/** The item at `i`, counting round the list from its start again. */
function cyclic<T>(items: readonly T[], i: number): T {
  const item = items[i % items.length];
  if (item === undefined) throw new Error("cyclic() of an empty list");
  return item;
}

function nameOf(id: string): string {
  const member = DEMO_MEMBERS.find((p) => p.id === id);
  if (!member) throw new Error(`${id} is not a demo member`);
  return member.name;
}

/** An instant `daysAgo` days before now at `hour`:00 UTC, second precision. */
function daysAgo(days: number, hour: number): string {
  const d = new Date(Date.now() - days * 86_400_000);
  d.setUTCHours(hour, 0, 0, 0);
  return `${d.toISOString().slice(0, 19)}Z`;
}

async function seedActivity(base: string, token: TokenFor): Promise<void> {
  // Each mentor logs a few weeks of its own work…
  for (const [m, mentorId] of MENTORS.entries()) {
    const mentor = await token(mentorId, ["mentor"], nameOf(mentorId));
    for (let i = 0; i < 8; i += 1) {
      const type = cyclic(SELF_TYPES, i + m);
      await request(base, mentor, "POST", "/api/v1/activity-logs", {
        activity_type: type,
        description: `${type.replaceAll("_", " ")} (demo)`,
        contact_id: cyclic(CONTACTS, i + m),
        duration_minutes: 30 + 15 * ((i + m) % 4),
        occurred_at: daysAgo(2 + i * 3 + m, 9 + (i % 6)),
      });
    }
  }
  // …coordinators register sessions on mentors' behalf…
  const jordan = await token("coord-007", ["coordinator"], "Jordan Lee");
  const casey = await token("coord-119", ["coordinator"], "Casey Morgan");
  const registered = new Map<string, string>();
  for (const [i, mentorId] of MENTORS.entries()) {
    const coordinator = i % 2 ? "coord-119" : "coord-007";
    const session = {
      activity_type_id: "one-on-one",
      activity_date: daysAgo(1 + i * 4, 14),
      duration_minutes: 60,
      location: "Community Centre",
      notes: "Registered by the coordinator after the session",
      coordinator_id: coordinator,
      mentor_id: mentorId,
    };
    const sent = await request(
      base,
      i % 2 ? casey : jordan,
      "POST",
      "/api/v1/activity-attributions",
      session,
    );
    registered.set(mentorId, (sent as { attribution_id: string }).attribution_id);
  }
  // …two mentors answer theirs, one confirming and one disputing; the others' stay pending…
  const answer = async (mentorId: string, action: "confirm" | "dispute", body?: { reason: string }) => {
    const mentor = await token(mentorId, ["mentor"], nameOf(mentorId));
    const path = `/api/v1/activity-attributions/${registered.get(mentorId)}/${action}`;
    await request(base, mentor, "POST", path, body);
  };
  await answer("mentor-033", "confirm");
  await answer("mentor-482", "dispute", { reason: "I was at the training day; Tomás ran this session" });
  // …and one workshop for the whole group, in one bulk registration.
  await request(base, jordan, "POST", "/api/v1/activity-attributions/batches", {
    activity_type_id: "workshop",
    activity_date: daysAgo(6, 9),
    duration_minutes: 120,
    location: "Innovation Lab",
    notes: "Ran resume workshop for junior cohort",
    coordinator_id: "coord-007",
    mentor_ids: MENTORS,
    confirm: true,
  });
}

/** Seeds org-demo unless it already has members; answers whether it seeded. */
export async function seedDemo(base: string, token: TokenFor): Promise<boolean> {
  const admin = await token("admin-007", ["admin"], "Riley Admin");
  const existing = (await request(base, admin, "GET", "/api/v1/members?limit=1")) as {
    pagination: { total: number };
  };
  if (existing.pagination.total > 0) return false;

  for (const m of DEMO_MEMBERS) {
    await request(base, admin, "PUT", `/api/v1/members/${m.id}`, {
      name: m.name,
      roles: m.roles,
      active: true,
    });
  }
  await seedActivity(base, token);
  return true;
}
