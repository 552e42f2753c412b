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
 * `extraPlugins`: plugins beyond `plugins()`; `hooks`: better-auth's `hooks` option.
 * `password`: `{hash, verify}` for emailAndPassword.password, or undefined for better-auth's
 * default scrypt. Logging is silenced below "error" so that warnings (which can carry e-mail
 * addresses) stay out of the output; errors still show.
 */
export function makeAuth({ database, secret, secrets, password, extraPlugins = [], hooks }) {
  return betterAuth({
    database,
    // Versioned secrets (`[{version, value}]`, the first current) or one secret.
    ...(secrets ? { secrets } : { secret }),
    baseURL: "http://localhost:3000",
    emailAndPassword: { enabled: true, ...(password ? { password } : {}) },
    plugins: [...plugins(), ...extraPlugins],
    ...(hooks ? { hooks } : {}),
    logger: { level: "error" },
    telemetry: { enabled: false },
  });
}

/** better-auth's own scrypt digest as its `hashPassword` writes it: `<hex salt>:<hex key>`. */
export const NATIVE_SCRYPT = /^[0-9a-f]{32}:[0-9a-f]{128}$/;

/** The stored digest of the credential account of the user with `email` (SQLite). */
export function storedPassword(db, email) {
  return db
    .prepare(`SELECT a.password AS p FROM account a JOIN user u ON u.id = a.userId WHERE u.email = ? AND a.providerId = 'credential'`)
    .get(email.toLowerCase())?.p;
}

/** The HTTP status better-auth answers an email sign-in with. */
export async function signInStatus(auth, email, password) {
  const res = await auth.api.signInEmail({ body: { email, password }, asResponse: true });
  await res.text();
  return res.status;
}

/** A check that did not hold (its message goes into the output, never a secret). */
export class CheckFailure extends Error {}
export const must = (c, m) => {
  if (!c) throw new CheckFailure(m);
};
