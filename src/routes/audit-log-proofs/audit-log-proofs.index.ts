import { createRouter } from "../../http/create-app";
import * as handlers from "./audit-log-proofs.handlers";
import * as routes from "./audit-log-proofs.routes";

// Mounted before the proxy-audit-logs router, so these fixed segments win over /{id}.
export const auditLogProofsRouter = createRouter()
  .openapi(routes.checkpoint, handlers.checkpoint)
  .openapi(routes.checkpoints, handlers.checkpoints)
  .openapi(routes.consistency, handlers.consistency)
  .openapi(routes.verify, handlers.verify)
  .openapi(routes.startVerify, handlers.startVerify)
  .openapi(routes.proof, handlers.proof);
