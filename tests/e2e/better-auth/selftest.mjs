// TEST-ONLY. Proves signin-check.mjs against databases seeded by seed-for-selftest.mjs (better-auth's
// own sign-up plus hand-inserted migrated-shape rows), in SQLite and in a throw-away PostgreSQL
// database:
//   1. the seeded expectations all hold (exit 0);
//   2. with every expectation inverted, every check fails (the checker is not vacuous);
//   3. with another BETTER_AUTH_SECRET, the two-factor checks fail (the TOTP secret really is
//      decrypted and used);
//   and no run prints a password, TOTP secret or backup code.
//
//   node selftest.mjs            # env PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test);
//                                # SKIP_POSTGRES=1 for SQLite only
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { seed } from "./seed-for-selftest.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const adminUrl = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/test";
let problems = 0;
let passed = 0;

function report(ok, what) {
  if (ok) passed++;
  else problems++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
}

function runChecker(dir, name, config) {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  const env = { ...process.env };
  delete env.BETTER_AUTH_SECRETS;
  const r = spawnSync(process.execPath, [join(here, "signin-check.mjs"), path], { encoding: "utf8", env });
  const lines = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const all = r.stdout + r.stderr;
  const leaked = [];
  for (const c of config.checks) {
    for (const k of ["password", "totpSecret", "backupCode"]) {
      if (c[k] && c[k].length >= 4 && all.includes(c[k])) leaked.push(`${c.email}.${k}`);
    }
  }
  if (all.includes(config.secret)) leaked.push("secret");
  return { status: r.status, lines, stderr: r.stderr, leaked };
}

async function prove(label, database, dir) {
  const secret = randomBytes(32).toString("base64url");
  const checks = await seed({ database, secret });
  const base = { database, secret, verifyModule: join(here, "selftest-verify.mjs") };

  const good = runChecker(dir, "good", { ...base, checks });
  for (const l of good.lines) console.log(`     ${JSON.stringify(l)}`);
  report(good.status === 0 && good.lines.length === checks.length && good.lines.every((l) => l.ok), `${label}: ${checks.length} seeded checks meet their expectations`);
  report(good.leaked.length === 0, `${label}: no secret in the checker's output ${good.leaked.join(" ")}`);

  // Backup codes were used up above; drop them so the inverted run tests what it can.
  const inverted = checks.map((c) => ({ ...c, backupCode: undefined, expect: c.expect === "ok" ? "refused" : "ok" }));
  const inv = runChecker(dir, "inverted", { ...base, checks: inverted });
  report(inv.status === 1 && inv.lines.length === checks.length && inv.lines.every((l) => !l.ok), `${label}: inverted expectations all fail (exit ${inv.status})`);
  report(inv.leaked.length === 0, `${label}: no secret in the inverted run's output ${inv.leaked.join(" ")}`);

  const mfa = checks.filter((c) => c.totpSecret).map((c) => ({ ...c, backupCode: undefined }));
  const wrong = runChecker(dir, "wrong-secret", { ...base, secret: randomBytes(32).toString("base64url"), checks: mfa });
  report(wrong.status === 1 && wrong.lines.every((l) => !l.ok), `${label}: with another secret all ${mfa.length} TOTP checks fail (exit ${wrong.status})`);
  report(wrong.leaked.length === 0, `${label}: no secret in the wrong-secret run's output ${wrong.leaked.join(" ")}`);
}

const dir = mkdtempSync(join(tmpdir(), "ba-selftest-"));
try {
  await prove("sqlite", { sqlite: join(dir, "selftest.sqlite") }, dir);

  if (process.env.SKIP_POSTGRES !== "1") {
    const dbName = `authferry_selftest_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${dbName}`;
      await prove("postgres", { postgres: url.toString() }, dir);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
    }
  } else {
    console.log("SKIP postgres (SKIP_POSTGRES=1)");
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`selftest: ${passed} passed, ${problems} failed`);
process.exit(problems ? 1 : 0);
