import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardBindings } from "./databases";

// Runs before each test file; applying is idempotent, so files stay independent. Every database
// organisations live on gets the same migrations, as `npm run db:migrate:local` loops over them.
await applyD1Migrations(env.DIRECTORY, env.TEST_DIRECTORY_MIGRATIONS);
for (const binding of shardBindings()) await applyD1Migrations(binding.d1, env.TEST_MIGRATIONS);
