// The benches' own audit signing key (base64 PKCS#8 Ed25519), public by design like every key
// of a local configuration; its public key is BENCH_AUDIT_PUBLIC_KEY.
export const BENCH_AUDIT_SIGNING_KEY = "MC4CAQAwBQYDK2VwBCIEIN1tivueac3HLzun4f0ZyXby9j6n5luzkWk9NVFlPQoN";
export const BENCH_AUDIT_PUBLIC_KEY = "n+c0/oylSgfbkDHsQtwlFXyL5pf7XVhLiiW3hJ8706s=";
