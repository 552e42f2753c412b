// Proves the emitted verify module's `rehashOnSignIn()` plugin against the real better-auth:
// users migrated with legacy digests sign in, and their `account.password` becomes
// better-auth's own scrypt; a wrong password neither signs in nor changes it.
//
//   node rehash-check.mjs CONFIG.json
//
// CONFIG: {"sqlite": "/path/db.sqlite", "secret": "…", "verifyModule": "/abs/auth-verify.mjs",
//          "checks": [{"email": "…", "password": "…"}]}
//
// Per check, in order: the stored digest is not better-auth's scrypt; a wrong password is refused
// (401) and leaves it unchanged; the right password signs in (200) and the stored digest is then
// better-auth's scrypt (`salt:key`, verified by better-auth's own verifyPassword); the right
// password signs in again (now natively) and a wrong one is still refused.
// Prints one JSON line per check, {"email", "ok", "detail"} — never a password or a digest —
// and exits 1 if any check failed, 2 if it could not run.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { verifyPassword } from "better-auth/crypto";
import Database from "better-sqlite3";
import { CheckFailure, NATIVE_SCRYPT, makeAuth, must, signInStatus, storedPassword } from "./lib.mjs";

function fail(msg) {
  process.stderr.write(`rehash-check: ${msg}\n`);
  process.exit(2);
}
let config;
try {
  config = JSON.parse(readFileSync(process.argv[2], "utf8"));
} catch (e) {
  fail(`cannot read the config: ${e.message}`);
}
const mod = await import(pathToFileURL(config.verifyModule).href);
if (typeof mod.rehashOnSignIn !== "function") fail("the verify module exports no rehashOnSignIn()");

const db = new Database(config.sqlite);
const auth = makeAuth({
  database: db,
  secret: config.secret,
  password: { hash: mod.hash, verify: mod.verify },
  extraPlugins: [mod.rehashOnSignIn()],
});
// better-auth's error log could carry an address or a digest: keep only that it happened.
console.error = () => process.stderr.write("rehash-check: better-auth logged an error\n");

const NATIVE = NATIVE_SCRYPT;
const storedOf = (email) => storedPassword(db, email);
const signIn = (email, password) => signInStatus(auth, email, password);

let failed = 0;
for (const { email, password } of config.checks) {
  const steps = [];
  try {
    const before = storedOf(email);
    must(typeof before === "string", "no credential account");
    must(!NATIVE.test(before), "the stored digest is already better-auth's scrypt");
    must((await signIn(email, password + "x")) === 401, "a wrong password was not refused");
    must(storedOf(email) === before, "a refused sign-in changed the stored digest");
    steps.push("wrong password refused, digest unchanged");
    const first = await signIn(email, password);
    must(first === 200, `the right password answered ${first}`);
    const after = storedOf(email);
    must(typeof after === "string" && NATIVE.test(after), "after sign-in the stored digest is not better-auth's scrypt");
    must(await verifyPassword({ hash: after, password }), "the new digest does not verify with better-auth's verifyPassword");
    steps.push("signed in, re-hashed to better-auth scrypt");
    must((await signIn(email, password)) === 200, "the right password fails after the re-hash");
    must((await signIn(email, password + "x")) === 401, "a wrong password is accepted after the re-hash");
    must(storedOf(email) === after, "a native sign-in re-hashed again");
    steps.push("signs in natively afterwards");
    process.stdout.write(JSON.stringify({ email, ok: true, detail: steps.join("; ") }) + "\n");
  } catch (e) {
    failed++;
    const detail = e instanceof CheckFailure ? e.message : `error: ${e?.name ?? "unknown"}`;
    process.stdout.write(JSON.stringify({ email, ok: false, detail: [...steps, detail].join("; ") }) + "\n");
  }
}
db.close();
process.stderr.write(`rehash-check: ${config.checks.length - failed} of ${config.checks.length} checks passed\n`);
process.exit(failed ? 1 : 0);
