import { forgetMemberStatus } from "../../auth/member-status";
import { allow } from "../../auth/policy";
import { getMember, listMembers, upsertMember } from "../../db/queries/members";
import { memberTag as memberTagBasis, withTag } from "../../db/queries/representations";
import { isNotModified } from "../../http/etag";
import { runWrite } from "../../http/write";
import { notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import type { AppRouteHandler } from "../../types";
import { currentOf, member, memberPrecondition, memberTag, toMember } from "./members.present";
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
  const { member_id } = c.req.valid("param");
  const input = c.req.valid("json");
  return runWrite(c, {
    action: "members.write",
    precondition: memberPrecondition(member_id),
    about: { target: `Member ${member_id}` },
    // Every member creation and change is in the audit log (SPEC §9), written in the same batch.
    statements: (w) =>
      upsertMember(w.db, w.orgId, member_id, input, w.seen, {
        eventId: w.eventId,
        actor: w.actor,
        now: w.now,
      }),
    found: (current, orgId) => ({ current: current ? currentOf(orgId, current) : null }),
    answer: {
      status: { created: HttpStatus.CREATED, otherwise: HttpStatus.OK },
      ...withTag(member, memberTagBasis),
    },
    respond: ({ value: { row, created } }) => {
      forgetMemberStatus(row.orgId, member_id);
      const headers = { ETag: memberTag(row.orgId, row) };
      return created
        ? c.json(toMember(row), HttpStatus.CREATED, headers)
        : c.json(toMember(row), HttpStatus.OK, headers);
    },
  });
};
