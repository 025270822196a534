// The Worker `npm run bench:capacity` drives to time one D1 database alone: `?writes=N&lanes=L`
// runs N batches, each inserting one activity as an activity-log create does (its triggers
// included: the organisation's total and the freeze guard), over L concurrent loops, and answers
// how long they took. Without HTTP, tokens or the API's checks in the way, this is the rate at
// which the database itself takes writes, which D1 runs one at a time.
interface Env {
  DB_1: D1Database;
}

const INSERT = `insert into activities (org_id, activity_id, mentor_id, activity_type, description, contact_id,
  duration_minutes, occurred_at, entry_mode, confirmation_status, created_by, created_at, updated_at)
  values (?, ?, 'mentor-0001', 'check_in', 'Weekly check-in with the mentee about goals and the next steps',
  'contact-1', 30, '2026-03-24T14:00:00Z', 'self', 'confirmed', 'mentor-0001', '2026-03-24T14:00:00Z',
  '2026-03-24T14:00:00Z')`;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const writes = Number(url.searchParams.get("writes") ?? "1000");
    const lanes = Number(url.searchParams.get("lanes") ?? "1");
    const org = url.searchParams.get("org") ?? "org-capacity";
    const statement = env.DB_1.prepare(INSERT);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < writes; i += lanes) {
          await env.DB_1.batch([statement.bind(org, `log_w${String(i).padStart(12, "0")}`)]);
        }
      }),
    );
    return Response.json({ writes, lanes, ms: Date.now() - started });
  },
};
