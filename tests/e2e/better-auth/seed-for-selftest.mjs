// TEST-ONLY. Seeds a fresh better-auth database so that signin-check.mjs can be proven before (and
// independently of) authferry's sink, and returns the checks to run against it:
//
//   * users created through better-auth's own sign-up API (scrypt passwords), one of them with
//     TOTP enabled through better-auth's own enableTwoFactor + verifyTOTP;
//   * users inserted with plain SQL the way a migration writes them: a bcrypt `account.password`
//     ($2a$, $2y$), and one with an imported TOTP secret stored as "base32:<secret>" and backup codes,
//     both encrypted with better-auth/crypto symmetricEncrypt (one with twoFactor.verified NULL).
//
// Library use: `await seed({ database: {sqlite: PATH} | {postgres: URL}, secret })` -> checks[].
// The schema is created by better-auth's getMigrations().runMigrations().
import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { symmetricEncrypt } from "better-auth/crypto";
import { getMigrations } from "better-auth/db/migration";
import { makeAuth, openDatabase, closeDatabase, plugins } from "./lib.mjs";
import * as selftestVerify from "./selftest-verify.mjs";
import { totp } from "./totp.mjs";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
function randomBase32(chars = 32) {
  const b = randomBytes(chars);
  return Array.from(b, (x) => B32[x & 31]).join("");
}
function randomId() {
  return randomBytes(16).toString("hex");
}
function randomBackupCode() {
  const a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const s = Array.from(randomBytes(10), (x) => a[x % a.length]).join("");
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}
function password() {
  return `pw-${randomBytes(9).toString("base64url")}`;
}

/** INSERT with the value shapes better-auth's Kysely adapter uses in each dialect. */
async function insertRow(db, table, row) {
  const cols = Object.keys(row);
  if (typeof db.prepare === "function") {
    const vals = cols.map((c) => {
      const v = row[c];
      if (typeof v === "boolean") return v ? 1 : 0;
      if (v instanceof Date) return v.toISOString();
      return v;
    });
    db.prepare(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(...vals);
  } else {
    await db.query(
      `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`,
      cols.map((c) => row[c]),
    );
  }
}

async function insertMigratedUser(db, secret, u) {
  const now = new Date();
  const id = randomId();
  await insertRow(db, "user", {
    id,
    name: u.name,
    email: u.email.toLowerCase(),
    emailVerified: true,
    image: null,
    createdAt: now,
    updatedAt: now,
    twoFactorEnabled: Boolean(u.totpSecret),
    username: u.username ? u.username.toLowerCase() : null,
    displayUsername: u.username ?? null,
    phoneNumber: u.phone ?? null,
    phoneNumberVerified: u.phone ? true : null,
  });
  await insertRow(db, "account", {
    id: randomId(),
    accountId: id,
    providerId: "credential",
    userId: id,
    password: u.digest,
    createdAt: now,
    updatedAt: now,
  });
  if (u.totpSecret) {
    await insertRow(db, "twoFactor", {
      id: randomId(),
      userId: id,
      secret: await symmetricEncrypt({ key: secret, data: `base32:${u.totpSecret}` }),
      backupCodes: await symmetricEncrypt({ key: secret, data: JSON.stringify(u.backupCodes) }),
      verified: u.verified,
    });
  }
}

function cookieHeaders(res) {
  const h = new Headers();
  h.set("cookie", res.headers.getSetCookie().map((l) => l.split(";")[0]).join("; "));
  return h;
}

export async function seed({ database, secret }) {
  const db = openDatabase(database);
  try {
    const { runMigrations } = await getMigrations({
      database: db,
      secret,
      emailAndPassword: { enabled: true },
      plugins: plugins(),
      logger: { level: "error" },
    });
    await runMigrations();
    const auth = makeAuth({ database: db, secret, password: { hash: selftestVerify.hash, verify: selftestVerify.verify } });
    const checks = [];

    // 1. Native sign-up, no second factor; mixed-case e-mail at sign-in.
    const a = { email: "Alice.Native@Example.com", password: password() };
    await auth.api.signUpEmail({ body: { email: a.email, password: a.password, name: "Alice Native", username: "AliceNative" } });
    checks.push({ email: a.email, password: a.password, expect: "ok", username: "alicenative" });
    checks.push({ email: a.email, password: `${a.password}x`, expect: "refused", username: "AliceNative" });

    // 2. Native sign-up with TOTP enabled through better-auth's own flow.
    const b = { email: "bob.totp@example.com", password: password() };
    const su = await auth.api.signUpEmail({ body: { email: b.email, password: b.password, name: "Bob Totp" }, asResponse: true });
    const headers = cookieHeaders(su);
    const en = await auth.api.enableTwoFactor({ body: { password: b.password }, headers });
    const bSecret = new URL(en.totpURI).searchParams.get("secret");
    await auth.api.verifyTOTP({ body: { code: totp(bSecret) }, headers });
    checks.push({ email: b.email, password: b.password, expect: "ok", totpSecret: bSecret, backupCode: en.backupCodes[0] });
    checks.push({ email: b.email, password: "not-the-password", expect: "refused" });

    // 3. Migrated shape: bcrypt $2a$ digest, no second factor.
    const c = { email: "Carol.Bcrypt@Example.com", password: password(), name: "Carol Bcrypt", username: "Carol_B", phone: "+15555550103" };
    c.digest = bcrypt.hashSync(c.password, 10).replace(/^\$2b\$/, "$2a$");
    await insertMigratedUser(db, secret, c);
    checks.push({ email: c.email, password: c.password, expect: "ok", username: "Carol_B" });
    checks.push({ email: c.email, password: c.password.toUpperCase(), expect: "refused" });

    // 4. Migrated shape: bcrypt $2y$, imported base32 TOTP secret, generated backup codes.
    const d = { email: "dave.mfa@example.com", password: password(), name: "Dave Mfa", totpSecret: randomBase32(32), verified: true };
    d.digest = bcrypt.hashSync(d.password, 10).replace(/^\$2b\$/, "$2y$");
    d.backupCodes = Array.from({ length: 10 }, randomBackupCode);
    await insertMigratedUser(db, secret, d);
    checks.push({ email: d.email, password: d.password, expect: "ok", totpSecret: d.totpSecret, backupCode: d.backupCodes[3] });
    checks.push({ email: d.email, password: "", expect: "refused" });

    // 5. Same, with twoFactor.verified NULL (better-auth treats it as usable and sets it on first use).
    const e = { email: "erin.mfa@example.com", password: password(), name: "Erin Mfa", totpSecret: randomBase32(16), verified: null };
    e.digest = bcrypt.hashSync(e.password, 10);
    e.backupCodes = Array.from({ length: 10 }, randomBackupCode);
    await insertMigratedUser(db, secret, e);
    checks.push({ email: e.email, password: e.password, expect: "ok", totpSecret: e.totpSecret, backupCode: e.backupCodes[9] });

    // 6. Nobody by that address.
    checks.push({ email: "nobody@example.com", password: password(), expect: "refused" });
    return checks;
  } finally {
    await closeDatabase(db);
  }
}
