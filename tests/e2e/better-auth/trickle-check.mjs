// Proves `authferry serve` in front of the real better-auth: an application whose email sign-in
// calls the server first (a `hooks.before`, as the README shows) signs legacy users in — their
// digests still in the old platform's export, nothing of them in better-auth yet — and each
// then has better-auth's own scrypt in `account.password`.
//
//   node trickle-check.mjs CONFIG.json
//
// CONFIG: {"sqlite": "/path/db.sqlite", "secret": "…", "serve": {"url": "http://…", "token": "…"},
//          "phase": "through-server" | "native", "checks": [{"email": "…", "password": "…"}]}
//
// phase "through-server", per check: the user is not in better-auth; a wrong password is
// refused (401) and creates nothing; the right password signs in (200); the stored digest is
// better-auth's scrypt (verified by better-auth's own verifyPassword).
// phase "native" (the server stopped; the hook's call fails and is ignored): the right password
// signs in (200) and a wrong one is refused (401) — better-auth alone.
// Prints one JSON line per check, {"email", "ok", "detail"} — never a password or a digest — and
// exits 1 if any check failed, 2 if it could not run.
import { readFileSync } from "node:fs";
import { createAuthMiddleware } from "better-auth/api";
import { verifyPassword } from "better-auth/crypto";
import Database from "better-sqlite3";
import { CheckFailure, NATIVE_SCRYPT, makeAuth, must, signInStatus, storedPassword } from "./lib.mjs";

function fail(msg) {
  process.stderr.write(`trickle-check: ${msg}\n`);
  process.exit(2);
}
let config;
try {
  config = JSON.parse(readFileSync(process.argv[2], "utf8"));
} catch (e) {
  fail(`cannot read the config: ${e.message}`);
}

const db = new Database(config.sqlite);
const serve = config.serve;
const auth = makeAuth({
  database: db,
  secret: config.secret,
  hooks: {
    // The README's wiring: ask authferry first; whatever it answers, better-auth decides.
    before: createAuthMiddleware(async (ctx) => {
      if (ctx.path !== "/sign-in/email") return;
      try {
        await fetch(`${serve.url}/v1/login`, {
          method: "POST",
          headers: { authorization: `Bearer ${serve.token}`, "content-type": "application/json" },
          body: JSON.stringify({ identifier: ctx.body.email, password: ctx.body.password }),
        });
      } catch {
        // The server is down or gone: sign-in goes on with better-auth alone.
      }
    }),
  },
});
console.error = () => process.stderr.write("trickle-check: better-auth logged an error\n");

const NATIVE = NATIVE_SCRYPT;
const storedOf = (email) => storedPassword(db, email);
const signIn = (email, password) => signInStatus(auth, email, password);

let failed = 0;
for (const { email, password } of config.checks) {
  const steps = [];
  try {
    if (config.phase === "through-server") {
      must(storedOf(email) === undefined, "the user is in better-auth before signing in");
      steps.push("not in better-auth yet");
      must((await signIn(email, password + "x")) === 401, "a wrong password is accepted");
      must(storedOf(email) === undefined, "a wrong password created the user");
      steps.push("wrong password refused, nothing created");
      must((await signIn(email, password)) === 200, "the right password fails through the server");
      const stored = storedOf(email);
      must(typeof stored === "string" && NATIVE.test(stored), "the stored digest is not better-auth's scrypt");
      must(await verifyPassword({ hash: stored, password }), "better-auth's verifyPassword refuses the stored digest");
      steps.push("signed in through the server; stored as better-auth's scrypt");
    } else {
      must((await signIn(email, password)) === 200, "the right password fails natively");
      must((await signIn(email, password + "x")) === 401, "a wrong password is accepted natively");
      steps.push("signs in natively with the server gone");
    }
    process.stdout.write(JSON.stringify({ email, ok: true, detail: steps.join("; ") }) + "\n");
  } catch (e) {
    failed++;
    const detail = e instanceof CheckFailure ? e.message : `error: ${e?.name ?? "unknown"}`;
    process.stdout.write(JSON.stringify({ email, ok: false, detail: [...steps, detail].join("; ") }) + "\n");
  }
}
db.close();
process.stderr.write(`trickle-check: ${config.checks.length - failed} of ${config.checks.length} checks passed\n`);
process.exit(failed ? 1 : 0);
