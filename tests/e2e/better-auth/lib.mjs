// Shared by the e2e scripts: one place that builds the better-auth instance the way an application
// that received authferry's migration would (the plugins whose columns the sink writes).
import Database from "better-sqlite3";
import pg from "pg";
import { betterAuth } from "better-auth";
import { twoFactor, username, phoneNumber, admin } from "better-auth/plugins";

/** The plugin set the e2e proof runs with. */
export function plugins() {
  return [twoFactor(), username(), phoneNumber(), admin()];
}

/** `{sqlite: PATH}` or `{postgres: URL}` -> a driver object better-auth's Kysely adapter accepts. */
export function openDatabase(spec) {
  if (spec && typeof spec.sqlite === "string") return new Database(spec.sqlite);
  if (spec && typeof spec.postgres === "string") return new pg.Pool({ connectionString: spec.postgres, max: 2 });
  throw new Error('database must be {"sqlite": PATH} or {"postgres": URL}');
}

export async function closeDatabase(db) {
  if (typeof db.end === "function") await db.end();
  else if (typeof db.close === "function") db.close();
}

/**
 * `password`: `{hash, verify}` for emailAndPassword.password, or undefined for better-auth's
 * default scrypt. Logging is silenced below "error" so that warnings (which can carry e-mail
 * addresses) stay out of the output; errors still show.
 */
export function makeAuth({ database, secret, secrets, password }) {
  return betterAuth({
    database,
    // Versioned secrets (`[{version, value}]`, the first current) or one secret.
    ...(secrets ? { secrets } : { secret }),
    baseURL: "http://localhost:3000",
    emailAndPassword: { enabled: true, ...(password ? { password } : {}) },
    plugins: plugins(),
    logger: { level: "error" },
    telemetry: { enabled: false },
  });
}
