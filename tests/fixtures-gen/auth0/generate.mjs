// Generates the Auth0 fixtures of crates/platforms/tests/fixtures/auth0/:
//
//   users.ndjson            what POST /api/v2/jobs/users-exports with "format": "json" produces
//                           (NDJSON, one user object a line, the fields the job asked for)
//   password-hashes.ndjson  what Auth0 support hands over on request, once decrypted (NDJSON,
//                           one object per database user: _id {"$oid"}, alt_id when the id was
//                           chosen, email, passwordHash, password_set_date {"$date"}, tenant,
//                           connection, …)
//   passwords.json          test data: {"<user_id>": "<password>"} for every user with a
//                           bcrypt digest in the hash export (the digests are real: bcryptjs,
//                           cost 10, "$2b$" — what Auth0 stores)
//
//   node tests/fixtures-gen/auth0/generate.mjs        (from the repository root)
//
// Needs `npm ci` in tests/e2e/better-auth (bcryptjs comes from there). Everything but the bcrypt
// salts is seeded, so ids, names and the special cases the tests name stay the same when the
// fixtures are made again. Passwords are test data, never anyone's.
//
// Formats, as documented: the export job's fields (user profile structure, identities[] with
// provider / user_id / connection / isSocial, profileData on linked identities); the hash
// export per Auth0's support article "How to Use the Password Hashes Export from Auth0"
// (user_id = "auth0|" + alt_id when present, else "auth0|" + _id.$oid).
//
// The special cases (their indexes are fixed; the tests name their ids):
//   0   Ada: every mapped field (username, names, picture, metadata, last_login)
//   1   database user with a linked google-oauth2 identity (profileData)
//   2   google-oauth2 only (no hash)          3  github only (numeric identity user_id)
//   4   sms (phone only)                      5  blocked database user with a password
//   6   unverified email                      7  google-oauth2 primary with a linked database
//                                                identity: the hash joins on that identity
//   8   legacy-db connection, alt_id (user_id auth0|legacy-0008)
//   9   windowslive  10 apple  11 facebook  12 twitter  13 linkedin
//   14  custom social connection (provider oauth2, connection acme-sso)
//   15  passwordHash that is not bcrypt (argon2id): must fail
//   16  database user with no entry in the hash export: must fail
//   17  hash older than the user's last_password_reset (stale): must fail
//   18  two entries in the hash export: must fail
//   19  blocked google-oauth2 user            20  database user with a phone number
//   21  samlp (enterprise) user               22  email (passwordless) user
//   23  bitbucket (a provider authferry has no name for)
//   a user-export line that is not JSON (after user 30), an entry of the hash export no user
//   has, and a hash-export line that is not JSON.
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const require = createRequire(join(root, "tests/e2e/better-auth/package.json"));
const bcrypt = require("bcryptjs");
const out = join(root, "crates/platforms/tests/fixtures/auth0");

const USERS = 224;
const TENANT = "authferry-fixture";
const DB = "Username-Password-Authentication";
const LEGACY = "legacy-db";
const BROKEN_USER_LINE_AFTER = 30;

// mulberry32: small, seeded, good enough for test data.
let seed = 0x5eed_a0a0;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];
const hex = (n) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(rand() * 16)]).join("");
const digits = (n) => String(1 + Math.floor(rand() * 9)) + Array.from({ length: n - 1 }, () => Math.floor(rand() * 10)).join("");
const alnum = (n) => Array.from({ length: n }, () => pick("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".split(""))).join("");
const b64 = (bytes) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(rand() * 256))).toString("base64").replace(/=+$/, "");

/** A MongoDB ObjectId as Auth0 makes them: 4 bytes of seconds, then 8 more. */
function oid(when) {
  return Math.floor(when.getTime() / 1000).toString(16).padStart(8, "0") + hex(16);
}
const day = 86_400_000;
const base = Date.parse("2021-03-01T09:00:00.000Z");
const iso = (ms) => new Date(ms).toISOString();

const FIRST = ["Ada", "Grace", "Zoë", "Jean-Luc", "Łukasz", "Mary", "Ken", "Dennis", "Barbara", "Edsger", "Frances", "Donald", "Leslie", "Radia", "Niklaus", "Margaret", "Tony", "Hedy", "Alan", "Katherine", "Sophie", "Tim", "Anita", "Guido"];
const LAST = ["Lovelace", "Hopper", "Ångström", "O'Neil", "Wiśniewski", "Major", "Thompson", "Ritchie", "Liskov", "Dijkstra", "Allen", "Knuth", "Lamport", "Perlman", "Wirth", "Hamilton", "Hoare", "Lamarr", "Turing", "Johnson", "Wilson", "Berners-Lee", "Borg", "van Rossum"];
const WORDS = ["Correct", "Horse", "Battery", "Staple", "Auth0", "Ferry", "Harbour", "Lantern", "Quartz", "Meadow"];

function password(i) {
  if (i % 17 === 3) return `pässwörd-ñ-${i}-${alnum(6)}`;
  if (i % 23 === 5) return `spaces in it ${i} ${alnum(5)}`;
  return `${pick(WORDS)}-${pick(WORDS)}-${i}-${alnum(10)}`;
}

function gravatar(email, first, last) {
  const initials = ((first?.[0] ?? email[0]) + (last?.[0] ?? "")).toLowerCase();
  return `https://s.gravatar.com/avatar/${hex(32)}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F${encodeURIComponent(initials)}.png`;
}

const SOCIAL = {
  "google-oauth2": () => digits(21),
  github: () => Number(digits(8)), // GitHub ids are numbers in Auth0's identities
  windowslive: () => hex(16),
  apple: () => `00${digits(4)}.${hex(32)}.${digits(4)}`,
  facebook: () => digits(16),
  twitter: () => digits(19),
  linkedin: () => alnum(10),
  bitbucket: () => `{${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}}`,
};

/** What kind of user index `i` is. */
function kind(i) {
  const fixed = {
    0: "db", 1: "db+google", 2: "google", 3: "github", 4: "sms", 5: "db", 6: "db", 7: "google+db",
    8: "legacy", 9: "windowslive", 10: "apple", 11: "facebook", 12: "twitter", 13: "linkedin",
    14: "oauth2", 15: "db", 16: "db", 17: "db", 18: "db", 19: "google", 20: "db", 21: "samlp",
    22: "email", 23: "bitbucket",
  };
  if (i in fixed) return fixed[i];
  const r = rand();
  if (r < 0.55) return "db";
  if (r < 0.65) return "db+google";
  if (r < 0.68) return "db+github";
  if (r < 0.78) return "google";
  if (r < 0.85) return "github";
  if (r < 0.91) return "sms";
  if (r < 0.96) return "legacy";
  return pick(["windowslive", "apple", "facebook", "linkedin"]);
}

const users = []; // export records
const hashes = []; // hash-export entries (objects or raw broken lines)
const passwords = {};

for (let i = 0; i < USERS; i++) {
  const k = kind(i);
  const created = base + i * day * 1.7 + Math.floor(rand() * day);
  const updated = created + Math.floor(rand() * 200 * day);
  const first = i === 0 ? "Ada" : rand() < 0.8 ? FIRST[i % FIRST.length] : undefined;
  const last = i === 0 ? "Lovelace" : first && rand() < 0.9 ? LAST[(i * 7) % LAST.length] : undefined;
  const email = `user${String(i).padStart(3, "0")}@example.com`;
  const emailVerified = i === 6 ? false : i === 0 || rand() < 0.85;
  const u = {};
  const identities = [];
  let dbId = null; // the database identity's id (oid or alt_id)
  let dbConnection = DB;
  let altId = null;

  const social = (provider, connection = provider) => {
    const id = SOCIAL[provider] ? SOCIAL[provider]() : `${connection}|${alnum(12)}`;
    return { provider, user_id: id, connection, isSocial: true };
  };
  const database = () => {
    if (k === "legacy") {
      dbConnection = LEGACY;
      altId = `legacy-${String(i).padStart(4, "0")}`;
      dbId = altId;
    } else {
      dbId = oid(new Date(created));
    }
    return { provider: "auth0", user_id: dbId, connection: dbConnection, isSocial: false };
  };

  switch (k) {
    case "db":
    case "legacy":
      identities.push(database());
      break;
    case "db+google":
    case "db+github": {
      identities.push(database());
      const s = social(k === "db+google" ? "google-oauth2" : "github");
      s.profileData = { email, email_verified: true, name: [first, last].filter(Boolean).join(" ") || email, picture: "https://lh3.googleusercontent.com/a/" + alnum(20) };
      if (first) s.profileData.given_name = first;
      identities.push(s);
      break;
    }
    case "google+db": {
      identities.push(social("google-oauth2"));
      const d = database();
      d.profileData = { email, email_verified: true };
      identities.push(d);
      break;
    }
    case "oauth2":
      identities.push(social("oauth2", "acme-sso"));
      break;
    case "sms": {
      const id = oid(new Date(created));
      identities.push({ provider: "sms", user_id: id, connection: "sms", isSocial: false });
      break;
    }
    case "email": {
      const id = oid(new Date(created));
      identities.push({ provider: "email", user_id: id, connection: "email", isSocial: false });
      break;
    }
    case "samlp":
      identities.push({ provider: "samlp", user_id: `acme-corp|${email}`, connection: "acme-corp", isSocial: false });
      break;
    default:
      identities.push(social(k === "google" ? "google-oauth2" : k));
  }

  const primary = identities[0];
  // user_id is the primary identity's provider and id (`oauth2|acme-sso|…` for a custom one).
  u.user_id = `${primary.provider}|${primary.user_id}`;
  if (k !== "sms") {
    u.email = email;
    u.email_verified = k === "email" ? true : emailVerified;
  }
  if (i === 0) u.username = "ada_lovelace";
  else if ((k === "db" || k === "legacy") && rand() < 0.3) u.username = `user_${i}`;
  if (k === "sms" || i === 20) {
    u.phone_number = `+1555${String(1000000 + i * 37).slice(-7)}`;
    u.phone_verified = k === "sms" ? true : i === 20;
  }
  if (first) u.given_name = first;
  if (last) u.family_name = last;
  // Auth0 fills name and nickname when a database signup gave none: the email, its local part.
  if (k === "sms") {
    u.name = u.phone_number;
    u.nickname = u.phone_number;
  } else {
    u.name = first || last ? [first, last].filter(Boolean).join(" ") : email;
    u.nickname = i === 0 ? "ada" : email.split("@")[0];
  }
  u.picture = primary.isSocial && primary.provider === "github" ? `https://avatars.githubusercontent.com/u/${primary.user_id}?v=4` : primary.isSocial ? "https://lh3.googleusercontent.com/a/" + alnum(24) : gravatar(email, first, last);
  u.created_at = iso(created);
  u.updated_at = iso(updated);
  if (i === 0 || rand() < 0.7) u.last_login = iso(Math.max(created, updated - Math.floor(rand() * 10 * day)));
  u.logins_count = Math.floor(rand() * 300);
  if (i === 5 || i === 19 || (i > 23 && rand() < 0.04)) u.blocked = true;
  else if (rand() < 0.1) u.blocked = false;
  u.identities = identities;
  if (i === 0) {
    u.app_metadata = { roles: ["admin"], plan: "pro", tenant_ids: [17, 42] };
    u.user_metadata = { theme: "dark", locale: "en-GB", newsletter: true };
  } else {
    if (rand() < 0.4) u.app_metadata = { roles: [pick(["member", "editor", "billing"])], plan: pick(["free", "team", "pro"]) };
    if (rand() < 0.35) u.user_metadata = { theme: pick(["light", "dark"]), locale: pick(["en-US", "fr-FR", "de-DE", "pl-PL"]) };
  }

  // The hash export: one entry per database identity.
  if (dbId !== null) {
    const pw = password(i);
    const setAt = created + Math.floor(rand() * 30 * day);
    if (i === 17) u.last_password_reset = iso(setAt + 40 * day); // reset after the export's digest
    const entry = {
      _id: { $oid: altId ? oid(new Date(created)) : dbId },
      email_verified: u.email_verified ?? false,
      email,
      passwordHash: null,
      password_set_date: { $date: iso(setAt) },
      tenant: TENANT,
      connection: dbConnection,
      _tmp_is_unique: true,
    };
    if (altId) entry.alt_id = altId;
    // Newer exports carry identifiers[]; some entries have no root email at all.
    if (i % 9 === 4) {
      entry.identifiers = [{ type: "email", value: email, verified: entry.email_verified }];
      if (i % 18 === 4) delete entry.email;
    }
    if (i === 15) {
      // A custom_password_hash import Auth0 kept as it was: not bcrypt.
      entry.passwordHash = `$argon2id$v=19$m=65536,t=3,p=4$${b64(16)}$${b64(32)}`;
    } else {
      entry.passwordHash = bcrypt.hashSync(pw, 10);
    }
    if (i !== 16) hashes.push(entry);
    if (i === 18) hashes.push({ ...entry, passwordHash: bcrypt.hashSync(pw + "-older", 10), password_set_date: { $date: iso(setAt - 90 * day) } });
    // Every database user's password, those of the users that must fail included (the e2e
    // test proves they cannot sign in with it).
    passwords[u.user_id] = pw;
  }
  users.push(u);
}

// The hash export is not in the user export's order (Auth0 dumps its own collection).
for (let i = hashes.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [hashes[i], hashes[j]] = [hashes[j], hashes[i]];
}
const orphan = {
  _id: { $oid: oid(new Date(base - 30 * day)) },
  email_verified: true,
  email: "deleted-before-the-user-export@example.com",
  passwordHash: bcrypt.hashSync("Orphan-Password-1", 10),
  password_set_date: { $date: iso(base - 30 * day) },
  tenant: TENANT,
  connection: DB,
  _tmp_is_unique: true,
};
hashes.splice(40, 0, orphan);
hashes.splice(90, 0, '{"_id":{"$oid":"' + oid(new Date(base)) + '"},"email_verified":true,"email":"trunc');

const userLines = users.map((u) => JSON.stringify(u));
userLines.splice(BROKEN_USER_LINE_AFTER + 1, 0, '{"user_id":"auth0|' + oid(new Date(base)) + '","email":"broken@example.com","identities":[{"provider":');
const hashLines = hashes.map((h) => (typeof h === "string" ? h : JSON.stringify(h)));

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "users.ndjson"), userLines.join("\n") + "\n");
writeFileSync(join(out, "password-hashes.ndjson"), hashLines.join("\n") + "\n");
writeFileSync(join(out, "passwords.json"), JSON.stringify(passwords, null, 1) + "\n");
console.log(`${users.length} users (+1 broken line), ${hashLines.length} hash-export lines, ${Object.keys(passwords).length} passwords → ${out}`);
