import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";

/**
 * The one unreachable-audit-log double: a namespace whose objects cannot be reached, as
 * during an outage. Every RPC call on a stub it hands out rejects.
 */
export const unreachableAuditLog = {
  idFromName: (name: string) => env.AUDIT_LOG.idFromName(name),
  get: () =>
    new Proxy(
      {},
      {
        get: (_target, method) =>
          method === "then"
            ? undefined
            : async () => {
                throw new Error("audit object unavailable");
              },
      },
    ),
} as unknown as Env["AUDIT_LOG"];

/** The Worker's bindings with the audit log unreachable. */
export const withAuditDown = (): Env => ({ ...env, AUDIT_LOG: unreachableAuditLog });
