import { forgetMemberStatus } from "../../auth/member-status";
import { allow } from "../../auth/policy";
import { getMember, listMembers, upsertMember } from "../../db/queries/members";
import type { MemberRow } from "../../db/schema";
import { ifMatchHeader, isNotModified, preconditionFailed, requireIfMatch } from "../../http/etag";
import { requestActor } from "../../http/request-actor";
import { notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { nowIso } from "../../lib/time";
import type { AppRouteHandler } from "../../types";
import { currentOf, memberTag, toMember } from "./members.present";
import type { GetRoute, ListRoute, PutRoute } from "./members.routes";

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "members.read");
  const { page, limit, role, active, q } = c.req.valid("query");
  const { rows, total } = await listMembers(
    c.var.org.db,
    caller.org,
    { role, active, q },
    pageOffset({ page, limit }),
  );
  return c.json({ data: rows.map(toMember), pagination: { page, limit, total } }, HttpStatus.OK);
};

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "members.read");
  const { member_id } = c.req.valid("param");
  const row = await getMember(c.var.org.db, caller.org, member_id);
  if (!row) throw notFound(`Member ${member_id}`);
  const tag = memberTag(caller.org, row);
  if (isNotModified(c, tag)) return c.body(null, HttpStatus.NOT_MODIFIED, { ETag: tag });
  return c.json(toMember(row), HttpStatus.OK, { ETag: tag });
};

export const put: AppRouteHandler<PutRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "members.write");
  const { member_id } = c.req.valid("param");
  const input = c.req.valid("json");
  const db = c.var.org.db;
  const precondition = ifMatchHeader(c);
  let seen: MemberRow | undefined;
  if (precondition !== undefined) {
    // If-Match only ever names an existing member, so this is the one write that reads first.
    const current = await getMember(db, caller.org, member_id);
    if (!current) throw notFound(`Member ${member_id}`);
    requireIfMatch(precondition, memberTag(caller.org, current), currentOf(caller.org, current));
    seen = current;
  }
  // Every member creation and change is in the audit log (SPEC §9), written in the same batch.
  const result = await upsertMember(db, caller.org, member_id, input, seen, {
    eventId: crypto.randomUUID(),
    actor: requestActor(c),
    now: nowIso(),
  });
  if (!result.ok) {
    const now = result.current;
    throw preconditionFailed(
      "The member changed while this request ran",
      now ? currentOf(caller.org, now) : null,
    );
  }
  const written = result.value;
  forgetMemberStatus(caller.org, member_id);
  await c.var.org.deliver(written.events);
  const member = toMember(written.row);
  const headers = { ETag: memberTag(caller.org, written.row) };
  return written.created
    ? c.json(member, HttpStatus.CREATED, headers)
    : c.json(member, HttpStatus.OK, headers);
};
