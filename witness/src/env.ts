import type { WitnessedLog } from "./witnessed-log.do.ts";

/** Bindings and variables of the witness Worker, as witness/wrangler.toml declares them. */
export interface WitnessEnv {
  /** One object per log origin, named by the SHA-256 of the origin, holding what it cosigned. */
  WITNESSED_LOG: DurableObjectNamespace<WitnessedLog>;
  /** The witness's key name: a schema-less URL, no space or `+`. */
  WITNESS_NAME?: string;
  /** Base64 PKCS#8 Ed25519 private key that cosigns (a secret). */
  WITNESS_SIGNING_KEY?: string;
  /** The logs it witnesses, JSON (config.ts). */
  WITNESS_LOGS?: string;
}
