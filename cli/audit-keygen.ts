// `npm run audit:keygen [-- --name AUDIT_LOG_ORIGIN]`: a new Ed25519 key for the audit log's
// checkpoints. `npm run audit:keygen -- --witness --name WITNESS_NAME`: a new key for a witness
// (witness/README.md) to cosign with. Prints the private key (base64 PKCS#8, what
// `wrangler secret put AUDIT_SIGNING_KEY` or `WITNESS_SIGNING_KEY` takes) alone on stdout, so it
// can be piped straight into wrangler; the public key and the verifier key (what compliance
// officers give `verify-export` and `audit:witness`, or what the log operator puts in
// AUDIT_WITNESSES) go to stderr.
//
//   npm run --silent audit:keygen | npx wrangler secret put AUDIT_SIGNING_KEY
//   npm run --silent audit:keygen -- --witness --name witness.example.org/mentor \
//     | npx wrangler secret put WITNESS_SIGNING_KEY -c witness/wrangler.toml
import { generateKeyPairSync } from "node:crypto";
import { parseArgs } from "node:util";
import { cosignerVerifierKey } from "../src/audit/cosignature.ts";
import { cosignerOf } from "../src/audit/cosigner.ts";
import { DEFAULT_AUDIT_LOG_ORIGIN } from "../src/audit/keys.ts";
import { toBase64 } from "../src/audit/merkle.ts";
import { keyIdOf, signingKey, verifierKey } from "../src/audit/signed-note.ts";

const { values } = parseArgs({ options: { name: { type: "string" }, witness: { type: "boolean" } } });
const pkcs8 = generateKeyPairSync("ed25519")
  .privateKey.export({ format: "der", type: "pkcs8" })
  .toString("base64");

function witnessKey(name: string | undefined): number {
  if (!name) {
    process.stderr.write(
      "audit:keygen: --witness needs --name, the witness's own schema-less URL (WITNESS_NAME), e.g. witness.example.org/mentor\n",
    );
    return 2;
  }
  // Read back the way the witness reads it, so what is printed is what the deployment will use.
  let cosigner: ReturnType<typeof cosignerOf>;
  try {
    cosigner = cosignerOf(name, pkcs8);
  } catch (err) {
    process.stderr.write(`audit:keygen: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  process.stdout.write(`${pkcs8}\n`);
  process.stderr.write(
    `public key:   ${toBase64(cosigner.publicKey)}\n` +
      `verifier key: ${cosignerVerifierKey(cosigner)}\n` +
      `(WITNESS_NAME must equal the name; give the log operator the verifier key and the witness's URL for AUDIT_WITNESSES)\n`,
  );
  return 0;
}

function logKey(name: string): number {
  // Read back the way the Worker reads it, so what is printed is what the deployment will use.
  const { publicKey } = signingKey(pkcs8);
  process.stdout.write(`${pkcs8}\n`);
  process.stderr.write(
    `public key:   ${toBase64(publicKey)}\n` +
      `verifier key: ${verifierKey({ name, keyId: keyIdOf(name, publicKey), publicKey })}\n` +
      `(the key name must equal AUDIT_LOG_ORIGIN; keep the public key for AUDIT_PUBLIC_KEYS when this key retires)\n`,
  );
  return 0;
}

process.exitCode = values.witness ? witnessKey(values.name) : logKey(values.name ?? DEFAULT_AUDIT_LOG_ORIGIN);
