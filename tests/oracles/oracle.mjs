// JavaScript oracles for authferry's password-hash differential tests: Better Auth's own
// `hashPassword`/`verifyPassword` (@better-auth/utils) and the npm `firebase-scrypt`.
//
//   node oracle.mjs generate SEED SCALE  → NDJSON cases (same shape as oracle.py's)
//   node oracle.mjs verify               → NDJSON {"id","check","hash","password"} in,
//                                           {"id","ok"} / {"id","error"} out, in order
//   node oracle.mjs bench SECONDS        → one JSON line per benchmark case

import { hashPassword, verifyPassword } from "@better-auth/utils/password";
import drupal from "drupal-hash";
import { FirebaseScrypt } from "firebase-scrypt";
import { createHash } from "node:crypto";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";

const FB_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";
const FB_SEP = "Bw==";

// Small deterministic PRNG (mulberry32) so a seed reproduces the passwords.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNICODE = [..."éèàüößçñøåĀďĘğİłŒšžǅﬁﬂ①Ⅻｶﾞ日本語中文한국어Ωπжщ😀🔑🚀", "e\u0301", "a\u0308", "\u212b", "\u00c5"];
const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

function password(r) {
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  const kind = pick(["ascii", "ascii", "unicode", "empty", "long", "nfkc"]);
  const n = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  if (kind === "empty") return "";
  if (kind === "ascii") return Array.from({ length: n(1, 40) }, () => pick(ASCII)).join("");
  if (kind === "unicode") return Array.from({ length: n(1, 20) }, () => pick(UNICODE)).join("");
  if (kind === "nfkc") return Array.from({ length: n(1, 10) }, () => pick(["ﬁ", "①", "ｶﾞ", "\u212b", "e\u0301", "x"])).join("");
  return Array.from({ length: n(72, 130) }, () => pick([...ASCII, ...UNICODE])).join("");
}

let id = 0;
function emit(format, oracle, hash, pw, extra = {}) {
  for (const [p, expect] of [[pw, true], ["!" + pw, false]]) {
    id += 1;
    process.stdout.write(JSON.stringify({ id, format, oracle, hash, password: p, expect, ...extra }) + "\n");
  }
}

async function generate(seed, scale) {
  const r = rng(seed);
  const count = (n) => Math.max(1, Math.floor(n * scale));
  for (let i = 0; i < count(60); i++) {
    const pw = password(r);
    emit("better_auth_scrypt", "@better-auth/utils hashPassword", await hashPassword(pw), pw);
  }
  for (let i = 0; i < count(40); i++) {
    // firebase-scrypt (npm) refuses the empty password.
    const pw = password(r) || "x";
    const rounds = 1 + Math.floor(r() * 8);
    const memCost = 6 + Math.floor(r() * 7);
    const salt = randomBytes(8 + Math.floor(r() * 9)).toString("base64");
    const fb = new FirebaseScrypt({ memCost, rounds, saltSeparator: FB_SEP, signerKey: FB_KEY });
    const hash = await fb.hash(pw, salt);
    emit("scrypt_firebase", "firebase-scrypt (npm)", `${hash}$${salt}$${FB_KEY}$${FB_SEP}$${rounds}$${memCost}`, pw, {
      hasher: "scrypt_firebase",
    });
  }
  // Drupal 7 (drupal-hash, a port of Drupal's password.inc), with small iteration counts, and its
  // `U$S$` form (a Drupal 6 MD5 re-hashed: the password is first replaced by its MD5 hex; built
  // here with hashPassword because drupal-hash's own `U$` check is broken on Node ≥ 20).
  for (let i = 0; i < count(40); i++) {
    const pw = password(r);
    const log2 = 7 + Math.floor(r() * 3);
    emit("drupal7", "drupal-hash (npm)", drupal.hashPassword(pw, log2), pw);
    const md5 = createHash("md5").update(pw).digest("hex");
    const u = "U" + drupal.hashPassword(md5, log2);
    emit("drupal7", "drupal-hash (npm) U$", u, pw);
  }
}

async function check(kind, hash, pw) {
  if (kind === "better_auth") return verifyPassword(hash, pw);
  if (kind === "firebase_npm") {
    // Clerk's `hash$salt$key$sep$rounds$mem`, checked by firebase-scrypt.
    const [h, salt, key, sep, rounds, mem] = hash.split("$");
    const fb = new FirebaseScrypt({ memCost: Number(mem), rounds: Number(rounds), saltSeparator: sep, signerKey: key });
    return fb.verify(pw, salt, h);
  }
  throw new Error(`unknown check ${kind}`);
}

async function verifyStream() {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    const rec = JSON.parse(line);
    let out;
    try {
      out = { id: rec.id, ok: Boolean(await check(rec.check, rec.hash, rec.password)) };
    } catch (e) {
      out = { id: rec.id, error: e.constructor.name };
    }
    process.stdout.write(JSON.stringify(out) + "\n");
  }
}

async function bench(seconds) {
  const run = async (name, oracle, fn) => {
    await fn();
    let n = 0;
    const t0 = performance.now();
    let el = 0;
    do {
      await fn();
      n += 1;
      el = (performance.now() - t0) / 1000;
    } while (el < seconds);
    console.log(JSON.stringify({ format: name, oracle, verifications: n, seconds: +el.toFixed(3), per_second: +(n / el).toFixed(1) }));
  };
  const ba = await hashPassword("password");
  await run("better_auth_scrypt", "@better-auth/utils 0.5.1 (node:crypto scrypt)", () => verifyPassword(ba, "password"));
  const fb = new FirebaseScrypt({ memCost: 14, rounds: 8, saltSeparator: FB_SEP, signerKey: FB_KEY });
  const salt = "42xEC+ixf3L2lw==";
  const fh = await fb.hash("password", salt);
  await run("firebase_scrypt_r8_m14", "firebase-scrypt 2.2.0 (npm, node:crypto)", () => fb.verify("password", salt, fh));
}

const [cmd, a, b] = process.argv.slice(2);
if (cmd === "generate") await generate(Number(a), Number(b));
else if (cmd === "verify") await verifyStream();
else if (cmd === "bench") await bench(Number(a));
else {
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
