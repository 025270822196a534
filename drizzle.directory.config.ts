import { defineConfig } from "drizzle-kit";

/** The directory database (binding DIRECTORY): its own schema and migrations. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/directory-schema.ts",
  out: "./migrations-directory",
});
