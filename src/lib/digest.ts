import { createHash } from "node:crypto";

/** Lowercase hex SHA-256 of UTF-8 text; synchronous, so ETags cost no await. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
