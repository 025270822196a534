import { allow } from "../../auth/authorize";
import { MEMBER_ROLES, type MemberRole } from "../../auth/caller";
import { forgetMemberStatus } from "../../auth/middleware";
import { createDb } from "../../db/client";
import { getMember, listMembers, upsertMember } from "../../db/queries/members";
import type { MemberRow } from "../../db/schema";
import { notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import type { AppRouteHandler } from "../../lib/types";
import type { GetRoute, ListRoute, PutRoute } from "./members.routes";

const READERS = ["mentor", "coordinator", "admin", "compliance"] as const;

export function toMember(row: MemberRow) {
  return {
    member_id: row.memberId,
    name: row.name,
    roles: row.roles.filter((r): r is MemberRole => (MEMBER_ROLES as readonly string[]).includes(r)),
    active: row.active,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const { page, limit, role, active, q } = c.req.valid("query");
  const { rows, total } = await listMembers(
    createDb(c.env.DB),
    caller.org,
    { role, active, q },
    pageOffset({ page, limit }),
  );
  return c.json({ data: rows.map(toMember), pagination: { page, limit, total } }, HttpStatus.OK);
};

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const { member_id } = c.req.valid("param");
  const row = await getMember(createDb(c.env.DB), caller.org, member_id);
  if (!row) throw notFound(`Member ${member_id}`);
  return c.json(toMember(row), HttpStatus.OK);
};

export const put: AppRouteHandler<PutRoute> = async (c) => {
  const caller = allow(c, "admin");
  const { member_id } = c.req.valid("param");
  const input = c.req.valid("json");
  const { row, created } = await upsertMember(createDb(c.env.DB), caller.org, member_id, input);
  forgetMemberStatus(caller.org, member_id);
  return created ? c.json(toMember(row), HttpStatus.CREATED) : c.json(toMember(row), HttpStatus.OK);
};
