// Signs users in through the real better-auth package, against a database that a migration wrote.
//
//   node signin-check.mjs CONFIG.json
//
// CONFIG:
//   {
//     "database": {"sqlite": "/path/db.sqlite"} | {"postgres": "postgres://…"},
//     "secret": "<BETTER_AUTH_SECRET the migration used>",
//     "secrets"?: [{"version": 2, "value": "…"}, …],   // instead: versioned secrets, first current
//     "verifyModule": "/abs/path/auth-verify.mjs",   // exports hash(password), verify({hash, password})
//     "checks": [
//       {"email": "…" | "phoneNumber": "+…", "password": "…", "expect": "ok" | "refused",
//        "totpSecret"?: "<RFC 4648 base32>", "backupCode"?: "xxxxx-xxxxx", "username"?: "…"}
//     ]
//   }
//
// For every check it calls auth.api.signInEmail for real (auth.api.signInPhoneNumber, the
// phoneNumber plugin's /sign-in/phone-number, for a check with "phoneNumber"):
//   expect "refused": the sign-in must answer 401 (a wrong password, an unknown user).
//   expect "ok" without a second factor: 200 with a session whose user has this e-mail.
//   expect "ok" with totpSecret and/or backupCode: the sign-in must answer the two-factor
//     challenge (twoFactorRedirect) and set no session; then
//       totpSecret: a wrong code is refused and a code computed here (RFC 6238 with node:crypto,
//                   not better-auth's helper) completes it through auth.api.verifyTOTP;
//       backupCode: in a new sign-in, auth.api.verifyBackupCode completes it, and a further
//                   sign-in shows the same code is then refused (used up).
//     Each completion must yield a session that resolves to this user.
//   "username": additionally signs in through auth.api.signInUsername with the same password
//     (same expectation; a two-factor user must get the challenge there too).
//
// Prints one JSON line per check, {"email" | "phoneNumber", "ok", "detail"}, never a password, digest, TOTP
// secret or backup code, and a summary line on stderr. Exits 1 if any check failed its
// expectation, 2 if it could not run.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { isAbsolute, resolve } from "node:path";
import { makeAuth, openDatabase, closeDatabase } from "./lib.mjs";
import { totp, wrongTotp, selfTest as totpSelfTest } from "./totp.mjs";

function fail(msg) {
  process.stderr.write(`signin-check: ${msg}\n`);
  process.exit(2);
}

const configPath = process.argv[2];
if (!configPath) fail("usage: node signin-check.mjs CONFIG.json");
let config;
try {
  config = JSON.parse(readFileSync(configPath, "utf8"));
} catch (e) {
  fail(`cannot read ${configPath}: ${e.message}`);
}
if (!config.secret && !Array.isArray(config.secrets)) fail("config.secret or config.secrets is required");
if (!config.verifyModule) fail("config.verifyModule is required");
if (!Array.isArray(config.checks) || config.checks.length === 0) fail("config.checks must be a non-empty array");

// Everything secret that this run knows, so that no message can carry one out.
const secrets = new Set([config.secret, ...(config.secrets ?? []).map((s) => s.value)].filter(Boolean));
for (const c of config.checks) {
  for (const k of ["password", "totpSecret", "backupCode"]) if (c[k]) secrets.add(String(c[k]));
}
const secretList = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
function redact(text) {
  let out = String(text);
  for (const s of secretList) out = out.split(s).join("[redacted]");
  return out.replace(/\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}/g, "[redacted digest]").replace(/\b[0-9a-f]{32}:[0-9a-f]{128}\b/gi, "[redacted digest]");
}

totpSelfTest();

const verifyPath = isAbsolute(config.verifyModule) ? config.verifyModule : resolve(config.verifyModule);
let verifyModule;
try {
  verifyModule = await import(pathToFileURL(verifyPath).href);
} catch (e) {
  fail(`cannot import verifyModule ${verifyPath}: ${redact(e.message)}`);
}
if (typeof verifyModule.hash !== "function" || typeof verifyModule.verify !== "function") {
  fail("verifyModule must export functions `hash(password)` and `verify({hash, password})`");
}

const database = openDatabase(config.database);
const auth = makeAuth({
  database,
  secret: config.secret,
  secrets: config.secrets,
  password: { hash: verifyModule.hash, verify: verifyModule.verify },
});
// Route better-auth's own error logging through the redactor (it is set to level "error").
const origError = console.error;
console.error = (...args) => origError(redact(args.map((a) => (a instanceof Error ? a.stack ?? a.message : typeof a === "string" ? a : safeJson(a))).join(" ")));
function safeJson(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

// ---- a tiny cookie jar over auth.api's asResponse Responses ------------------------------------
class Jar {
  constructor() {
    this.cookies = new Map();
  }
  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  has(suffix) {
    return [...this.cookies.keys()].some((k) => k.endsWith(suffix));
  }
  headers() {
    const h = new Headers();
    if (this.cookies.size) h.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    return h;
  }
}

async function call(fn, args, jar) {
  const res = await fn({ ...args, headers: jar.headers(), asResponse: true });
  jar.take(res);
  let body = null;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { unparsed: true };
  }
  return { status: res.status, body };
}

function describe(r) {
  const code = r.body && (r.body.code || r.body.message);
  return `${r.status}${code ? ` ${code}` : ""}`;
}

class CheckFailure extends Error {}
function must(cond, msg) {
  if (!cond) throw new CheckFailure(msg);
}

/** After a completed sign-in, the jar's session must resolve to the expected user. */
async function sessionIsUser(jar, { email, phone }, what) {
  must(jar.has("session_token"), `${what}: no session cookie was set`);
  const s = await auth.api.getSession({ headers: jar.headers() });
  must(s && s.user, `${what}: the session cookie does not resolve to a session`);
  must(
    phone ? s.user.phoneNumber === phone : s.user.email === email.toLowerCase(),
    `${what}: the session belongs to another user`,
  );
}

/** Password step through `signIn` (signInEmail or signInUsername). Returns the parsed result. */
async function passwordStep(jar, signIn, body) {
  return call(signIn, { body }, jar);
}

async function runCheck(check) {
  const steps = [];
  const email = String(check.email ?? "");
  const phone = String(check.phoneNumber ?? "");
  const who = { email, phone };
  const wants2fa = Boolean(check.totpSecret || check.backupCode);
  must((email || phone) && typeof check.password === "string", "check needs email or phoneNumber, and password");
  must(check.expect === "ok" || check.expect === "refused", 'expect must be "ok" or "refused"');

  const signInEmail = (jar) =>
    phone
      ? passwordStep(jar, auth.api.signInPhoneNumber, { phoneNumber: phone, password: check.password })
      : passwordStep(jar, auth.api.signInEmail, { email, password: check.password });

  if (check.expect === "refused") {
    const jar = new Jar();
    const r = await signInEmail(jar);
    must(r.status === 401, `expected refusal, sign-in answered ${describe(r)}${r.body?.twoFactorRedirect ? " (two-factor challenge: the password was accepted)" : ""}`);
    must(!jar.has("session_token") && !jar.has("two_factor"), "refused sign-in still set a session or two-factor cookie");
    steps.push(`refused (${describe(r)})`);
    if (check.username) {
      const ju = new Jar();
      const ru = await passwordStep(ju, auth.api.signInUsername, { username: check.username, password: check.password });
      must(ru.status === 401, `username sign-in: expected refusal, answered ${describe(ru)}`);
      steps.push(`username sign-in refused (${describe(ru)})`);
    }
    return steps.join("; ");
  }

  // expect ok
  const firstJar = new Jar();
  const first = await signInEmail(firstJar);
  must(first.status === 200, `expected success, sign-in answered ${describe(first)}`);
  if (!wants2fa) {
    must(!first.body?.twoFactorRedirect, "sign-in asked for a second factor, but the check gives none");
    await sessionIsUser(firstJar, who, "password sign-in");
    steps.push("password accepted, session resolves to the user");
  } else {
    must(first.body?.twoFactorRedirect === true, "password accepted but no two-factor challenge (twoFactorEnabled lost?)");
    must(!firstJar.has("session_token"), "two-factor challenge still left a session cookie");
    must(firstJar.has("two_factor"), "two-factor challenge set no two_factor cookie");
    steps.push(`password accepted, two-factor challenge [${(first.body.twoFactorMethods ?? []).join(",")}]`);

    if (check.totpSecret) {
      must((first.body.twoFactorMethods ?? []).includes("totp"), "challenge does not offer totp (no usable twoFactor row?)");
      const bad = await call(auth.api.verifyTOTP, { body: { code: wrongTotp(check.totpSecret) } }, firstJar);
      must(bad.status === 401, `a wrong TOTP code answered ${describe(bad)}`);
      steps.push("wrong TOTP refused");
      const good = await call(auth.api.verifyTOTP, { body: { code: totp(check.totpSecret) } }, firstJar);
      must(good.status === 200, `the computed TOTP code answered ${describe(good)}`);
      await sessionIsUser(firstJar, who, "TOTP sign-in");
      steps.push("TOTP completed, session resolves to the user");
    }
    if (check.backupCode) {
      const jar = new Jar();
      const again = await signInEmail(jar);
      must(again.status === 200 && again.body?.twoFactorRedirect === true, `second sign-in (for the backup code) answered ${describe(again)}`);
      const ok = await call(auth.api.verifyBackupCode, { body: { code: String(check.backupCode) } }, jar);
      must(ok.status === 200, `the backup code answered ${describe(ok)}`);
      await sessionIsUser(jar, who, "backup-code sign-in");
      steps.push("backup code completed, session resolves to the user");

      const jar2 = new Jar();
      const third = await signInEmail(jar2);
      must(third.status === 200 && third.body?.twoFactorRedirect === true, `third sign-in answered ${describe(third)}`);
      const reuse = await call(auth.api.verifyBackupCode, { body: { code: String(check.backupCode) } }, jar2);
      must(reuse.status === 401, `re-using the backup code answered ${describe(reuse)}`);
      steps.push("used backup code refused");
    }
  }
  if (check.username) {
    const ju = new Jar();
    const ru = await passwordStep(ju, auth.api.signInUsername, { username: check.username, password: check.password });
    must(ru.status === 200, `username sign-in answered ${describe(ru)}`);
    if (wants2fa) {
      must(ru.body?.twoFactorRedirect === true, "username sign-in skipped the second factor");
      steps.push("username sign-in reaches the two-factor challenge");
    } else {
      await sessionIsUser(ju, who, "username sign-in");
      steps.push("username sign-in accepted");
    }
  }
  return steps.join("; ");
}

let failed = 0;
let passed = 0;
try {
  for (const check of config.checks) {
    let ok;
    let detail;
    try {
      detail = await runCheck(check);
      ok = true;
    } catch (e) {
      ok = false;
      detail = e instanceof CheckFailure ? e.message : `error: ${e?.message ?? e}`;
    }
    if (ok) passed++;
    else failed++;
    process.stdout.write(JSON.stringify({ email: check.email, phoneNumber: check.phoneNumber, expect: check.expect, ok, detail: redact(detail) }) + "\n");
  }
} finally {
  await closeDatabase(database);
}
process.stderr.write(`signin-check: ${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
