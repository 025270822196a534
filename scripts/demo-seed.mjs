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

async function request(base, token, method, path, body) {
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

/** Seeds org-demo unless it already has members; answers whether it seeded. */
export async function seedDemo(base, token) {
  const admin = await token("admin-007", ["admin"], "Riley Admin");
  const existing = await request(base, admin, "GET", "/api/v1/members?limit=1");
  if (existing.pagination.total > 0) return false;

  for (const m of DEMO_MEMBERS) {
    await request(base, admin, "PUT", `/api/v1/members/${m.id}`, {
      name: m.name,
      roles: m.roles,
      active: true,
    });
  }
  return true;
}
