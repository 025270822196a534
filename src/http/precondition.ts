import type { Context } from "hono";
import type { Reach } from "../auth/policy";
import type { AppBindings } from "../types";
import type { Organisation } from "./database";
import { type CurrentRepresentation, ifMatchHeader, requireIfMatch } from "./etag";
import { type Refusal, type Refusing, refusal } from "./refusals";

/**
 * How a write on an existing resource checks If-Match, the same way for every one: only a request
 * that sends the header pays a read of the resource; the caller's reach is checked on what was
 * read before the tag is (a missing resource, or one the caller may not write, answers as it would
 * without the header, so a precondition reveals nothing more); then the tag. What was read is the
 * version the write must still find, so a change that lands in between fails the write (412)
 * instead of being overwritten.
 */
export interface Precondition<Seen> {
  /** The resource as it is now; undefined when there is none. */
  read(org: Organisation): Promise<Seen | undefined>;
  /** Why the caller may not write what was read, or null when it may. */
  refuse?(seen: Seen, reach: Reach): Refusal | null;
  /** Its current tags (more than one when representations of one version differ), and what a 412 carries. */
  current(orgId: string, seen: Seen): { tags: readonly string[]; representation: CurrentRepresentation };
}

/**
 * The resource as the request's If-Match was checked against, the version the write must still
 * find; undefined without the header, or for `*`.
 */
export async function checkPrecondition<Seen>(
  c: Context<AppBindings>,
  precondition: Precondition<Seen>,
  reach: Reach,
  about: Refusing,
): Promise<Seen | undefined> {
  const header = ifMatchHeader(c);
  if (header === undefined) return undefined;
  const org = c.var.org;
  const seen = await precondition.read(org);
  if (seen === undefined) throw refusal("not_found", about);
  const refused = precondition.refuse?.(seen, reach) ?? null;
  if (refused !== null) throw refusal(refused, about);
  const { tags, representation } = precondition.current(org.id, seen);
  requireIfMatch(header, tags, representation);
  // `*` asks only that the resource exist (RFC 9110, 13.1.1), which was just read: the write then
  // lands on whatever version it finds, as one without the header does.
  return header.trim() === "*" ? undefined : seen;
}

/**
 * The resource as it is now, for the 412 of a write that lost its race after its check when its
 * batch could not say: only that race pays this read.
 */
export async function currentNow<Seen>(
  org: Organisation,
  precondition: Precondition<Seen>,
): Promise<CurrentRepresentation | null> {
  const seen = await precondition.read(org);
  return seen === undefined ? null : precondition.current(org.id, seen).representation;
}
