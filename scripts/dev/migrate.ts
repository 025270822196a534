// `npm run db:migrate:local [-- --persist-to DIR]`, `npm run db:migrate:remote`: applies the D1
// migrations to the directory and to every database organisations live on (each binding of
// wrangler.toml's [[d1_databases]]), stopping at the first that fails.
import { migrateAll } from "./d1.ts";

const [where, ...extra] = process.argv.slice(2);
if (where !== "--local" && where !== "--remote") {
  console.error("usage: node scripts/dev/migrate.ts --local|--remote [wrangler flags]");
  process.exit(2);
}
process.exit(migrateAll(where, extra));
