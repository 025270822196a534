import { DurableObject } from "cloudflare:workers";
import type { Env } from "../lib/env";

/** One per organisation: the single writer of that organisation's audit log. */
export class AuditLog extends DurableObject<Env> {}
