import type { Context } from "hono";
import type { FieldMap, TagBasis } from "../db/queries/field-map";
import { entityTag } from "../lib/entity-tag";
import { AppError } from "../lib/errors";

/**
 * The tag of a resource from its tag basis: its representation `body` and the fields of its
 * version (some overridden, as an attribution served before its trail is complete), hashed as
 * a replay hashes the body and basis its write batch stored.
 */
export function tagOf<S, X, V extends FieldMap<S, X>>(
  basis: TagBasis<S, X, V>,
  orgId: string,
  source: S,
  body: object,
  version: Record<string, unknown> = {},
): string {
  return entityTag(basis.kind, orgId, basis.id.of(source), {
    ...body,
    ...basis.version.of(source),
    ...version,
  });
}

const TAG_LIST_ITEM = /\s*(?:(W\/)?("[\x21\x23-\x7e\x80-\xff]*")|(\*))\s*(?:,|$)/y;

/** The tags of an If-Match / If-None-Match value, `*`, or null when it does not parse. */
function parseTagList(header: string): { any: boolean; tags: { weak: boolean; opaque: string }[] } | null {
  const tags: { weak: boolean; opaque: string }[] = [];
  let any = false;
  TAG_LIST_ITEM.lastIndex = 0;
  while (TAG_LIST_ITEM.lastIndex < header.length) {
    const match = TAG_LIST_ITEM.exec(header);
    if (!match) return null;
    if (match[3]) any = true;
    else if (match[2]) tags.push({ weak: match[1] !== undefined, opaque: match[2] });
  }
  return { any, tags };
}

/**
 * If-None-Match against the current tag, compared weakly (RFC 9110, 13.1.2):
 * true means the client's copy is current and a 304 answers.
 */
export function isNotModified(c: Context, currentTag: string): boolean {
  const header = c.req.header("if-none-match");
  if (header === undefined) return false;
  const list = parseTagList(header);
  if (!list) return false;
  return list.any || list.tags.some((tag) => tag.opaque === currentTag.replace(/^W\//, ""));
}

/** The If-Match value of a write, or undefined when the client set no precondition. */
export function ifMatchHeader(c: Context): string | undefined {
  return c.req.header("if-match");
}

/**
 * Throws 412 unless If-Match names a current tag (strong comparison, RFC 9110,
 * 13.1.1) or is `*`. A resource has more than one current tag when representations of
 * one version differ (see the attribution's audit trail). Callers check that the
 * resource exists first: a missing one is a 404, as it is without the header, so a
 * precondition never reveals more than a plain request.
 */
export function requireIfMatch(
  header: string,
  current: string | readonly string[],
  representation: CurrentRepresentation,
): void {
  const currentTags: readonly string[] = typeof current === "string" ? [current] : current;
  const list = parseTagList(header);
  const matches =
    list !== null && (list.any || list.tags.some((tag) => !tag.weak && currentTags.includes(tag.opaque)));
  if (!matches) throw preconditionFailed("If-Match does not match the current ETag", representation);
}

/** The resource as it is now, and its ETag: what a 412 carries (SPEC §10). */
export interface CurrentRepresentation {
  body: unknown;
  etag: string;
}

/**
 * A 412 carrying the current representation as `current` and its `ETag`, so a client can merge
 * and retry without reading the resource again. Without one (the resource is gone), a plain 412.
 */
export function preconditionFailed(detail: string, current: CurrentRepresentation | null): AppError {
  if (current === null) return new AppError("precondition_failed", `${detail}; read the resource again`);
  return new AppError("precondition_failed", `${detail}; the current version is in \`current\``, {
    extensions: { current: current.body },
    headers: { ETag: current.etag },
  });
}
