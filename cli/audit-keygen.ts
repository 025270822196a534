// `npm run audit:keygen [-- --name AUDIT_LOG_ORIGIN]`: a new Ed25519 key for the audit log's
// checkpoints. Prints the private key (base64 PKCS#8, what `wrangler secret put AUDIT_SIGNING_KEY`
// takes) alone on stdout, so it can be piped straight into wrangler; the public key and the
// verifier key (what compliance officers give `verify-export` and `audit:witness`) go to stderr.
//
//   npm run --silent audit:keygen | npx wrangler secret put AUDIT_SIGNING_KEY
import { generateKeyPairSync } from "node:crypto";
import { parseArgs } from "node:util";
import { DEFAULT_AUDIT_LOG_ORIGIN } from "../src/audit/keys.ts";
import { toBase64 } from "../src/audit/merkle.ts";
import { keyIdOf, signingKey, verifierKey } from "../src/audit/signed-note.ts";

const { values } = parseArgs({ options: { name: { type: "string", default: DEFAULT_AUDIT_LOG_ORIGIN } } });
const name = values.name ?? DEFAULT_AUDIT_LOG_ORIGIN;
const pkcs8 = generateKeyPairSync("ed25519")
  .privateKey.export({ format: "der", type: "pkcs8" })
  .toString("base64");
// Read back the way the Worker reads it, so what is printed is what the deployment will use.
const { publicKey } = signingKey(pkcs8);
process.stdout.write(`${pkcs8}\n`);
process.stderr.write(
  `public key:   ${toBase64(publicKey)}\n` +
    `verifier key: ${verifierKey({ name, keyId: keyIdOf(name, publicKey), publicKey })}\n` +
    `(the key name must equal AUDIT_LOG_ORIGIN; keep the public key for AUDIT_PUBLIC_KEYS when this key retires)\n`,
);
