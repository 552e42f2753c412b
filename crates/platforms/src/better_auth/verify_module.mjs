// auth-verify.mjs, written by `authferry emit better-auth-verify`.
//
// better-auth verifies only its own scrypt digests (`salt:key`). authferry moves every user's
// digest into `account.password` as it is (or re-encoded into one of the syntaxes below, where
// the source kept parameters beside it); this module verifies them at sign-in:
//
//   bcrypt        $2a$ $2b$ $2y$; Django bcrypt$ and bcrypt_sha256$; passlib $bcrypt-sha256$
//                 (v1 and v2); Clerk bcrypt_peppered (<bcrypt>$<pepper>); WordPress $wp$2y$;
//                 {CRYPT}$2…  ($2x$ — crypt_blowfish's old sign-extension bug — is refused)
//   Argon2        $argon2i$ $argon2d$ $argon2id$ (v=19 or v=16, with data=, not keyid=);
//                 Django argon2$…; {ARGON2}…
//   scrypt        $scrypt$ln=… (passlib/PHC, and Kratos' ln=<N>); Django scrypt$…;
//                 Werkzeug scrypt:N:r:p$…; crypt(3) $7$; better-auth salt:key (better-auth itself)
//   Firebase      $fbscrypt$v=1,n=,r=,p=,ss=,sk=$salt$hash (authferry writes every Firebase
//     scrypt      scrypt spelling whose signer key is known in this one)
//   PBKDF2        $pbkdf2-<digest>$i=,l=$… (PHC); passlib $pbkdf2[-sha256|-sha512]$…;
//                 {PBKDF2[-SHA256|-SHA512]}…; Django pbkdf2_sha256$/pbkdf2_sha1$;
//                 Werkzeug pbkdf2:<digest>:<iter>$…; pbkdf2_sha512$ (Clerk, raw salt)
//   digests       bare hex MD5/SHA-1/SHA-256/SHA-512 (32 hex: MD5 or NT hash); Django md5$/sha1$;
//                 Kratos $md5$… and $<digest>$pf=…; Symfony sha512_symfony$…
//   LDAP          {SHA} {SSHA} {SHA256} {SSHA256} {SHA384} {SSHA384} {SHA512} {SSHA512}
//                 {MD5} {SMD5}; {CRYPT} with md5-crypt / SHA-crypt / bcrypt inside
//   HMAC          Clerk hmac_sha256_utf16_b64$…; Kratos $hmac-<digest>$…
//   crypt(3)      phpass $P$ $H$; Drupal 7 $S$ and U$S$; md5-crypt $1$ $apr1$ $md5-crypt$;
//                 SHA-crypt $5$ $6$ ($sha256-crypt$ $sha512-crypt$)
//   NT hash       sambaNTPassword: HEX, ipaNTHash: base64url
//
// A digest it cannot read matches no password (`false`, never an exception). Comparisons are
// constant-time (crypto.timingSafeEqual).
//
// Needs these npm packages (exact versions authferry is tested with):
//
//     npm install --save-exact better-auth@1.7.25 bcryptjs@3.0.3 hash-wasm@4.13.0 @noble/hashes@2.4.0
//
// (better-auth is already in your app and depends on @noble/hashes itself; bcryptjs, hash-wasm
// and @noble/hashes are pure JavaScript/WebAssembly, no native build. hash-wasm computes Argon2
// and MD4; @noble/hashes the Argon2 hash-wasm cannot: version 1.0, associated data, and the
// empty password.)
//
// Wire it into your better-auth config. The `rehashOnSignIn()` plugin is optional: right after a
// user's first successful password sign-in (e-mail, username or phone number) it replaces a
// legacy digest with better-auth's own scrypt, through better-auth's own adapter
// (`internalAdapter.updatePassword`), so it works with any database:
//
//     import { hash, verify, rehashOnSignIn } from "./auth-verify.mjs";
//
//     export const auth = betterAuth({
//       // ...
//       emailAndPassword: { enabled: true, password: { hash, verify } },
//       plugins: [rehashOnSignIn() /* , ...your other plugins */],
//     });
//
// New and changed passwords are always hashed with better-auth's own scrypt (`hash` below).
//
// A digest chooses its own work factor. Before running anything, this module estimates what a
// digest costs (the same model as `authferry hash verify`) and refuses one over the budget
// authferry was run with when it wrote this file (`--max-hash-seconds`, `--max-hash-memory`):
// `$2b$31$…` would otherwise keep a sign-in busy for a day. Every expensive format runs without
// blocking the event loop (node:crypto's thread pool, bcryptjs' and @noble/hashes' async
// forms, loops that yield).

import bcrypt from "bcryptjs";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import { createAuthMiddleware } from "better-auth/api";
import { argon2d, argon2i, argon2id, md4 } from "hash-wasm";
import * as noble from "@noble/hashes/argon2.js";
import crypto from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(crypto.scrypt);
const pbkdf2Async = promisify(crypto.pbkdf2);

/** better-auth's own scrypt hash (`salt:key`). */
export async function hash(password) {
  return hashPassword(password);
}

/** Whether `stored` is better-auth's own scrypt digest (nothing to rehash). */
export function isNativeHash(stored) {
  return typeof stored === "string" && NATIVE.test(stored);
}

/** Whether `password` matches the stored digest, in any format listed above. */
export async function verify({ hash, password }) {
  if (typeof hash !== "string" || typeof password !== "string") return false;
  try {
    return (await check(hash, password)) === true;
  } catch {
    // A digest this module cannot read matches no password; its text never leaves here.
    return false;
  }
}

const SIGN_IN_WITH_PASSWORD = new Set(["/sign-in/email", "/sign-in/username", "/sign-in/phone-number"]);

/**
 * A better-auth plugin: after a successful password sign-in (`/sign-in/email`, and the
 * username and phone-number plugins' `/sign-in/username`, `/sign-in/phone-number`) whose stored
 * digest is not better-auth's own scrypt, re-verifies the password against it and stores
 * `ctx.context.password.hash(password)` with `internalAdapter.updatePassword`.
 */
export function rehashOnSignIn() {
  return {
    id: "authferry-rehash-on-sign-in",
    hooks: {
      after: [
        {
          matcher: (context) => SIGN_IN_WITH_PASSWORD.has(context.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const userId = ctx.context.newSession?.user?.id;
            const password = ctx.body?.password;
            if (!userId || typeof password !== "string") return;
            try {
              const account = await ctx.context.internalAdapter.findCredentialAccount(userId);
              const stored = account?.password;
              if (typeof stored !== "string" || isNativeHash(stored)) return;
              if (!(await verify({ hash: stored, password }))) return;
              await ctx.context.internalAdapter.updatePassword(userId, await ctx.context.password.hash(password));
            } catch {
              // The sign-in stands; the legacy digest stays and is tried again next time.
              ctx.context.logger?.warn?.("authferry: could not re-hash a legacy password");
            }
          }),
        },
      ],
    },
  };
}

// ------------------------------------------------------------------------------------------

const NATIVE = /^[0-9a-f]{32}:[0-9a-f]{128}$/i;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX = /^[0-9a-fA-F]*$/;
const MAX_SCRYPT_BYTES = 2 ** 31;
const MAX_ARGON2_KIB = 4 * 1024 * 1024;
/** The work budget and cost model (nanoseconds per unit on authferry's reference machine). */
const WORK = /*authferry:work*/ { maxBytes: 1073741824, maxNanos: 10000000000, bcryptRound: 57000, argon2BlockPass: 410, scryptUnit: 300, compress64: 50, compress128: 120 } /*authferry:end*/;
/** Above this estimate, Argon2 runs in @noble/hashes' yielding form rather than in one WebAssembly call. */
const MAX_BLOCKING_NANOS = 20e6;
/** Throws when a verification would cost more than the budget. */
function admit(nanos, bytes = 0) {
  if (!(nanos <= WORK.maxNanos && bytes <= WORK.maxBytes)) throw new Error("over the work budget");
}
const compress = (alg) => (alg === "sha384" || alg === "sha512" ? WORK.compress128 : WORK.compress64);
/** Lets other work run between slices of a long loop. */
const tick = () => new Promise((resolve) => setImmediate(resolve));
const DIGEST_LEN = { md4: 16, md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

const utf8 = (s) => Buffer.from(s, "utf8");
const digest = (alg, ...parts) => {
  const h = crypto.createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const hmac = (alg, key, ...parts) => {
  const h = crypto.createHmac(alg, key);
  for (const p of parts) h.update(p);
  return h.digest();
};
/** Constant-time equality of two byte strings (length is not secret). */
function same(a, b) {
  a = Buffer.isBuffer(a) ? a : Buffer.from(a);
  b = Buffer.isBuffer(b) ? b : Buffer.from(b);
  return a.length === b.length && a.length > 0 && crypto.timingSafeEqual(a, b);
}
function hexBytes(s) {
  if (!HEX.test(s) || s.length % 2) throw new Error("not hex");
  return Buffer.from(s, "hex");
}
/** Standard, URL-safe or passlib's adapted base64, padded or not. */
function b64(s) {
  if (!/^[A-Za-z0-9+/.\-_]*={0,2}$/.test(s)) throw new Error("not base64");
  const t = s.replace(/=+$/, "").replace(/[.\-]/g, "+").replace(/_/g, "/");
  if (t.length % 4 === 1) throw new Error("not base64");
  return Buffer.from(t, "base64");
}
/** A digest written as hex (if it has the digest's length) or base64. */
function hexOrB64(s, len) {
  return s.length === len * 2 && HEX.test(s) ? Buffer.from(s, "hex") : b64(s);
}
function digestName(s) {
  const n = s.toLowerCase().replace(/-/g, "");
  const name = n === "sha" ? "sha1" : n;
  if (!(name in DIGEST_LEN)) throw new Error("unknown digest");
  return name;
}
function uint(s) {
  if (!/^\d{1,10}$/.test(s)) throw new Error("not a number");
  const n = Number(s);
  if (n > 0xffffffff) throw new Error("too large");
  return n;
}
function log2(n) {
  if (n < 2 || n > 2 ** 53 || Math.log2(n) % 1 !== 0) throw new Error("not a power of two");
  return Math.log2(n);
}
/** phpass / crypt base64 of `bytes` (little-endian 24-bit groups). */
function h64(bytes) {
  let out = "";
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    let v = bytes[i++];
    out += ITOA64[v & 63];
    if (i < n) v |= bytes[i] << 8;
    out += ITOA64[(v >> 6) & 63];
    if (i++ >= n) break;
    if (i < n) v |= bytes[i] << 16;
    out += ITOA64[(v >> 12) & 63];
    if (i++ >= n) break;
    out += ITOA64[(v >> 18) & 63];
  }
  return out;
}
/** The bytes of crypt base64 text (little-endian 24-bit groups; inverse of `h64`). */
function h64Decode(text) {
  const out = [];
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4);
    let v = 0;
    for (let k = 0; k < chunk.length; k++) {
      const d = ITOA64.indexOf(chunk[k]);
      if (d < 0) throw new Error("not crypt base64");
      v |= d << (6 * k);
    }
    for (let k = 0; k < Math.floor((chunk.length * 6) / 8); k++) out.push((v >>> (8 * k)) & 255);
  }
  return Buffer.from(out);
}
/** crypt(3)'s 24-bit groups of three chosen bytes, `n` characters each. */
function cryptGroups(f, groups) {
  let out = "";
  for (const [a, b, c, n] of groups) {
    let w = ((a < 0 ? 0 : f[a]) << 16) | ((b < 0 ? 0 : f[b]) << 8) | f[c];
    for (let k = 0; k < n; k++, w >>= 6) out += ITOA64[w & 63];
  }
  return out;
}

// --- bcrypt ----------------------------------------------------------------------------------

async function bcryptCheck(key, bcryptString) {
  if (!BCRYPT.test(bcryptString)) return false;
  const cost = Number(bcryptString.slice(4, 6));
  if (cost < 4 || cost > 31) return false;
  admit(2 ** cost * WORK.bcryptRound);
  return bcrypt.compare(key, bcryptString);
}

// --- scrypt ----------------------------------------------------------------------------------

async function scryptRaw(password, salt, N, r, p, len) {
  if (!(r >= 1 && p >= 1 && len >= 1)) throw new Error("bad scrypt parameters");
  const need = 128 * r * (N + 2) + 128 * r * p;
  if (need > MAX_SCRYPT_BYTES) throw new Error("scrypt needs too much memory");
  admit(N * r * p * WORK.scryptUnit, need);
  return scryptAsync(password, salt, len, { N, r, p, maxmem: need + 1024 * 1024 });
}
async function scryptCheck(password, salt, N, r, p, expected) {
  return same(await scryptRaw(password, salt, N, r, p, expected.length), expected);
}

// --- PBKDF2 ----------------------------------------------------------------------------------

async function pbkdf2Check(password, salt, iterations, alg, expected) {
  if (!(iterations >= 1) || expected.length === 0) return false;
  admit(iterations * 2 * Math.ceil(expected.length / DIGEST_LEN[alg]) * compress(alg));
  return same(await pbkdf2Async(password, salt, iterations, expected.length, alg), expected);
}
/** `<iterations>$<salt>$<key>` with the given decoders. */
function iterSaltKey(rest, saltDec, keyDec) {
  const parts = rest.split("$");
  if (parts.length !== 3) throw new Error("expected iterations$salt$key");
  return { iterations: uint(parts[0]), salt: saltDec(parts[1]), key: keyDec(parts[2]) };
}

// --- md5-crypt, SHA-crypt, phpass, Drupal ---------------------------------------------------

function md5Crypt(pw, magic, salt) {
  salt = salt.subarray(0, 8);
  const b = digest("md5", pw, salt, pw);
  const a = crypto.createHash("md5");
  a.update(pw);
  a.update(magic);
  a.update(salt);
  for (let left = pw.length; left > 0; left -= 16) a.update(b.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) a.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let fin = a.digest();
  for (let i = 0; i < 1000; i++) {
    const c = crypto.createHash("md5");
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(salt);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  return cryptGroups(fin, [
    [0, 6, 12, 4],
    [1, 7, 13, 4],
    [2, 8, 14, 4],
    [3, 9, 15, 4],
    [4, 10, 5, 4],
    [-1, -1, 11, 2],
  ]);
}

const SHA256_ORDER = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
].map((g) => [...g, 4]).concat([[-1, 31, 30, 3]]);
const SHA512_ORDER = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
].map((g) => [...g, 4]).concat([[-1, -1, 63, 2]]);

/** SHA-crypt (Drepper's specification) checksum characters. */
async function shaCrypt(alg, pw, salt, rounds) {
  const len = alg === "sha512" ? 64 : 32;
  const b = digest(alg, pw, salt, pw);
  const a = crypto.createHash(alg);
  a.update(pw);
  a.update(salt);
  let cnt = pw.length;
  for (; cnt > len; cnt -= len) a.update(b);
  a.update(b.subarray(0, cnt));
  for (let i = pw.length; i > 0; i >>= 1) a.update(i & 1 ? b : pw);
  let c = a.digest();
  const dpH = crypto.createHash(alg);
  for (let i = 0; i < pw.length; i++) dpH.update(pw);
  const dp = dpH.digest();
  const p = Buffer.alloc(pw.length);
  for (let i = 0; i < pw.length; i++) p[i] = dp[i % len];
  const dsH = crypto.createHash(alg);
  for (let i = 0; i < 16 + c[0]; i++) dsH.update(salt);
  const ds = dsH.digest();
  const s = Buffer.alloc(salt.length);
  for (let i = 0; i < salt.length; i++) s[i] = ds[i % len];
  for (let r = 0; r < rounds; r++) {
    if ((r & 0x3fff) === 0x3fff) await tick();
    const h = crypto.createHash(alg);
    h.update(r & 1 ? p : c);
    if (r % 3) h.update(s);
    if (r % 7) h.update(p);
    h.update(r & 1 ? c : p);
    c = h.digest();
  }
  return cryptGroups(c, alg === "sha512" ? SHA512_ORDER : SHA256_ORDER);
}

async function shaCryptCheck(pw, rest, alg) {
  let rounds = 5000;
  const m = /^rounds=(\d{1,10})\$/.exec(rest);
  if (m) {
    rounds = Math.min(999999999, Math.max(1000, Number(m[1])));
    rest = rest.slice(m[0].length);
  }
  const i = rest.lastIndexOf("$");
  if (i < 0) return false;
  const salt = utf8(rest.slice(0, i)).subarray(0, 16);
  const want = rest.slice(i + 1);
  if (want.length !== (alg === "sha512" ? 86 : 43)) return false;
  admit(rounds * 2 * compress(alg));
  return same(await shaCrypt(alg, pw, salt, rounds), want);
}

/** `$P$`/`$H$` (MD5) and Drupal's `$S$` (SHA-512): h = H(salt ‖ pw), 2^n × h = H(h ‖ pw). */
async function phpassLike(alg, pw, setting) {
  const n = ITOA64.indexOf(setting[0]);
  if (n < 7 || n > 30) throw new Error("bad iteration count");
  admit(2 ** n * compress(alg));
  const salt = utf8(setting.slice(1, 9));
  let h = digest(alg, salt, pw);
  for (let i = 0, k = 2 ** n; i < k; i++) {
    if ((i & 0x3fff) === 0x3fff) await tick();
    h = digest(alg, h, pw);
  }
  return h64(h);
}

/** `$1$…`, `$apr1$…`, `$md5-crypt$…`, `$5$…`, `$6$…` and Kratos' SHA-crypt spellings. */
function cryptCheck(pw, s) {
  for (const [prefix, magic] of [["$1$", "$1$"], ["$apr1$", "$apr1$"], ["$md5-crypt$", "$1$"]]) {
    if (s.startsWith(prefix)) {
      const rest = s.slice(prefix.length);
      const i = rest.lastIndexOf("$");
      if (i < 0) return false;
      return same(md5Crypt(pw, utf8(magic), utf8(rest.slice(0, i))), rest.slice(i + 1));
    }
  }
  for (const [prefix, alg] of [["$5$", "sha256"], ["$sha256-crypt$", "sha256"], ["$6$", "sha512"], ["$sha512-crypt$", "sha512"]]) {
    if (s.startsWith(prefix)) return shaCryptCheck(pw, s.slice(prefix.length), alg);
  }
  return undefined;
}

// --- Argon2 ----------------------------------------------------------------------------------

const ARGON2 = /^\$(argon2id|argon2i|argon2d)\$(?:v=(\d{1,10})\$)?([^$]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
async function argon2Check(password, phc) {
  const m = ARGON2.exec(phc);
  if (!m) return false;
  const [, variant, v, paramText, saltB64, hashB64] = m;
  const version = v === undefined ? 0x10 : Number(v); // PHC: no `v=` is version 1.0 (16)
  if (version !== 0x10 && version !== 0x13) return false;
  const kv = {};
  for (const x of paramText.split(",")) {
    const i = x.indexOf("=");
    if (i < 0) return false;
    kv[x.slice(0, i)] = x.slice(i + 1);
  }
  if (Object.keys(kv).some((k) => !["m", "t", "p", "keyid", "data"].includes(k))) return false;
  // A key id names a secret key that is not here.
  if (kv.keyid !== undefined) return false;
  const [memorySize, iterations, parallelism] = [uint(kv.m), uint(kv.t), uint(kv.p)];
  const data = kv.data === undefined ? undefined : b64(kv.data);
  const salt = b64(saltB64);
  const want = b64(hashB64);
  if (memorySize > MAX_ARGON2_KIB || memorySize < 8 * parallelism || iterations < 1 || parallelism < 1) return false;
  if (salt.length < 8 || want.length < 4) return false;
  const nanos = memorySize * iterations * WORK.argon2BlockPass;
  admit(nanos, memorySize * 1024);
  let got;
  if (version === 0x13 && data === undefined && password !== "" && nanos <= MAX_BLOCKING_NANOS) {
    const fn = { argon2id, argon2i, argon2d }[variant];
    got = await fn({ password: utf8(password), salt, iterations, parallelism, memorySize, hashLength: want.length, outputType: "binary" });
  } else {
    // hash-wasm knows neither version 1.0, associated data, nor the empty password.
    got = await noble[`${variant}Async`](utf8(password), salt, {
      t: iterations, m: memorySize, p: parallelism, dkLen: want.length, version, personalization: data,
    });
  }
  return same(Buffer.from(got), want);
}

// --- the dispatcher --------------------------------------------------------------------------

function stripCi(s, prefix) {
  return s.slice(0, prefix.length).toUpperCase() === prefix ? s.slice(prefix.length) : undefined;
}

const LDAP_SCHEMES = {
  SHA: ["sha1", false], SSHA: ["sha1", true], SHA256: ["sha256", false], SSHA256: ["sha256", true],
  SHA384: ["sha384", false], SSHA384: ["sha384", true], SHA512: ["sha512", false],
  SSHA512: ["sha512", true], MD5: ["md5", false], SMD5: ["md5", true],
};

async function check(s, password) {
  const pw = utf8(password);

  // better-auth's own scrypt.
  if (NATIVE.test(s)) return verifyPassword({ hash: s, password });

  // bcrypt and its wrappers.
  if (BCRYPT.test(s)) return bcryptCheck(password, s);
  if (s.startsWith("bcrypt$")) return bcryptCheck(password, s.slice(7));
  if (s.startsWith("bcrypt_sha256$")) {
    return bcryptCheck(digest("sha256", pw).toString("hex"), s.slice(14));
  }
  if (s.startsWith("$bcrypt-sha256$")) {
    const parts = s.slice(15).split("$");
    if (parts.length !== 3 || parts[1].length !== 22 || parts[2].length !== 31) return false;
    const [params, salt, sum] = parts;
    // passlib writes the cost without a leading zero (`2b,4`, `r=4`).
    const inner = (minor, cost) => `$2${minor}$${cost.padStart(2, "0")}$${salt}${sum}`;
    let m = /^2([aby]),(\d{1,2})$/.exec(params);
    if (m) return bcryptCheck(digest("sha256", pw).toString("base64"), inner(m[1], m[2]));
    m = /^v=2,t=2([aby]),r=(\d{1,2})$/.exec(params);
    if (m) return bcryptCheck(hmac("sha256", utf8(salt), pw).toString("base64"), inner(m[1], m[2]));
    return false;
  }
  if (s.startsWith("$wp$2")) {
    return bcryptCheck(hmac("sha384", utf8("wp-sha384"), pw).toString("base64"), s.slice(3));
  }
  if (s.length > 61 && s[60] === "$" && BCRYPT.test(s.slice(0, 60))) {
    // Clerk bcrypt_peppered: bcrypt(password ‖ pepper).
    return bcryptCheck(password + s.slice(61), s.slice(0, 60));
  }

  // Argon2.
  if (s.startsWith("$argon2")) return argon2Check(password, s);
  if (s.startsWith("argon2$argon2")) return argon2Check(password, s.slice(6));
  {
    const rest = stripCi(s, "{ARGON2}");
    if (rest !== undefined) return argon2Check(password, rest);
  }

  // scrypt.
  if (s.startsWith("$scrypt$")) {
    const parts = s.slice(8).split("$");
    if (parts.length !== 3) return false;
    const kv = Object.fromEntries(parts[0].split(",").map((x) => x.split("=")));
    const ln = uint(kv.ln);
    // Kratos writes N itself (authferry re-encodes Kratos hashes whose N would read as ln).
    const N = ln > 63 ? ln : 2 ** ln;
    log2(N);
    return scryptCheck(pw, b64(parts[1]), N, uint(kv.r), uint(kv.p), b64(parts[2]));
  }
  if (s.startsWith("$7$")) {
    // crypt(3) scrypt: N (log2, one character), r and p (five characters each), the salt text.
    const rest = s.slice(3);
    const i = rest.lastIndexOf("$");
    if (i < 11) return false;
    const setting = rest.slice(0, i);
    const num = (t) => [...t].reduce((v, c, k) => {
      const d = ITOA64.indexOf(c);
      if (d < 0) throw new Error("not crypt base64");
      return v + d * 2 ** (6 * k);
    }, 0);
    const logN = ITOA64.indexOf(setting[0]);
    const [r, p] = [num(setting.slice(1, 6)), num(setting.slice(6, 11))];
    if (logN < 1 || r < 1 || p < 1) return false;
    const want = h64Decode(rest.slice(i + 1));
    if (want.length !== 32) return false;
    return scryptCheck(pw, utf8(setting.slice(11)), 2 ** logN, r, p, want);
  }
  if (/^scrypt\$\d/.test(s)) {
    const parts = s.split("$");
    if (parts.length !== 6) return false;
    const N = uint(parts[1]);
    log2(N);
    return scryptCheck(pw, utf8(parts[2]), N, uint(parts[3]), uint(parts[4]), b64(parts[5]));
  }
  if (s.startsWith("scrypt:") || s.startsWith("pbkdf2:")) {
    const parts = s.split("$");
    if (parts.length !== 3) return false;
    const method = parts[0].split(":");
    const salt = utf8(parts[1]);
    const want = hexBytes(parts[2]);
    if (method[0] === "scrypt") {
      const [N, r, p] = method.length === 1 ? [2 ** 15, 8, 1] : method.length === 4 ? method.slice(1).map(uint) : [];
      if (N === undefined) return false;
      log2(N);
      return scryptCheck(pw, salt, N, r, p, want);
    }
    if (method.length !== 3) return false;
    return pbkdf2Check(pw, salt, uint(method[2]), digestName(method[1]), want);
  }

  // Firebase modified scrypt (Supabase's spelling, which carries the signer key).
  if (s.startsWith("$fbscrypt$")) {
    const parts = s.slice(10).split("$");
    if (parts.length !== 3) return false;
    const kv = {};
    for (const x of parts[0].split(",")) {
      const i = x.indexOf("=");
      if (i < 0) return false;
      kv[x.slice(0, i)] = x.slice(i + 1);
    }
    if (kv.v !== "1" || kv.sk === undefined) return false;
    const memCost = uint(kv.n);
    if (memCost < 1 || memCost > 63) return false;
    const signerKey = b64(kv.sk);
    const salt = Buffer.concat([b64(parts[1]), b64(kv.ss ?? "")]);
    const want = b64(parts[2]);
    const key = await scryptRaw(pw, salt, 2 ** memCost, uint(kv.r), uint(kv.p ?? "1"), 32);
    const cipher = crypto.createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
    return same(Buffer.concat([cipher.update(signerKey), cipher.final()]), want);
  }

  // PBKDF2.
  if (s.startsWith("$pbkdf2-") && s.includes("$i=")) {
    const parts = s.slice(8).split("$");
    if (parts.length !== 4) return false;
    const kv = Object.fromEntries(parts[1].split(",").map((x) => x.split("=")));
    const want = b64(parts[3]);
    if (kv.l !== undefined && uint(kv.l) !== want.length) return false;
    return pbkdf2Check(pw, b64(parts[2]), uint(kv.i), digestName(parts[0]), want);
  }
  if (s.startsWith("$pbkdf2$") || s.startsWith("$pbkdf2-")) {
    let alg = "sha1";
    let rest = s.slice(8);
    if (s.startsWith("$pbkdf2-")) {
      const i = s.indexOf("$", 8);
      if (i < 0) return false;
      alg = digestName(s.slice(8, i));
      rest = s.slice(i + 1);
    }
    const { iterations, salt, key } = iterSaltKey(rest, b64, b64);
    return pbkdf2Check(pw, salt, iterations, alg, key);
  }
  if (/^\{PBKDF2/i.test(s)) {
    const end = s.indexOf("}");
    const scheme = s.slice(1, end).toUpperCase();
    const alg = { PBKDF2: "sha1", "PBKDF2-SHA1": "sha1", "PBKDF2-SHA256": "sha256", "PBKDF2-SHA512": "sha512" }[scheme];
    if (!alg) return false;
    const { iterations, salt, key } = iterSaltKey(s.slice(end + 1), b64, b64);
    return pbkdf2Check(pw, salt, iterations, alg, key);
  }
  for (const [prefix, alg] of [["pbkdf2_sha256$", "sha256"], ["pbkdf2_sha1$", "sha1"]]) {
    if (s.startsWith(prefix)) {
      // Django: the salt is used as its text.
      const { iterations, salt, key } = iterSaltKey(s.slice(prefix.length), utf8, b64);
      if (key.length !== DIGEST_LEN[alg]) return false;
      return pbkdf2Check(pw, salt, iterations, alg, key);
    }
  }
  if (s.startsWith("pbkdf2_sha512$")) {
    const { iterations, salt, key } = iterSaltKey(s.slice(14), utf8, hexBytes);
    return pbkdf2Check(pw, salt, iterations, "sha512", key);
  }

  // Salted and plain digests, HMACs.
  for (const [prefix, alg] of [["md5$", "md5"], ["sha1$", "sha1"]]) {
    if (s.startsWith(prefix)) {
      const parts = s.slice(prefix.length).split("$");
      if (parts.length !== 2) return false;
      return same(digest(alg, utf8(parts[0]), pw), hexBytes(parts[1]));
    }
  }
  if (s.startsWith("sha512_symfony$")) {
    const parts = s.split("$");
    if (parts.length !== 4 || /[{}]/.test(parts[2])) return false;
    const iterations = uint(parts[1]);
    if (iterations < 1) return false;
    admit(iterations * 2 * WORK.compress128);
    const m = parts[2] === "" ? pw : Buffer.concat([pw, utf8(`{${parts[2]}}`)]);
    let d = digest("sha512", m);
    for (let i = 1; i < iterations; i++) {
      if ((i & 0x3fff) === 0x3fff) await tick();
      d = digest("sha512", d, m);
    }
    return same(d, hexOrB64(parts[3], 64));
  }
  if (s.startsWith("hmac_sha256_utf16_b64$")) {
    const rest = s.slice(22);
    const i = rest.indexOf("$");
    if (i < 0) return false;
    const want = hexOrB64(rest.slice(0, i), 32);
    return same(hmac("sha256", utf8(rest.slice(i + 1)), Buffer.from(password, "utf16le")), want);
  }
  if (s.startsWith("$hmac-")) {
    const parts = s.slice(6).split("$");
    if (parts.length !== 3) return false;
    const alg = digestName(parts[0]);
    const want = hexBytes(b64(parts[1]).toString("latin1"));
    if (want.length !== DIGEST_LEN[alg]) return false;
    return same(hmac(alg, b64(parts[2]), pw), want);
  }
  {
    const m = /^\$(md5|sha1|sha256|sha512)\$(.*)$/.exec(s);
    if (m) {
      // Ory Kratos: `$md5$<digest>` or `$<digest>$pf=<template>$<salt>$<digest>`.
      const alg = m[1];
      const parts = m[2].split("$");
      if (parts.length === 1 && alg === "md5") return same(digest(alg, pw), b64(parts[0]));
      if (parts.length !== 3 || !parts[0].startsWith("pf=")) return false;
      const template = b64(parts[0].slice(3)).toString("latin1");
      const salt = b64(parts[1]);
      const want = b64(parts[2]);
      if (template === "{SALT}{PASSWORD}") return same(digest(alg, salt, pw), want);
      if (template === "{PASSWORD}{SALT}") return same(digest(alg, pw, salt), want);
      return false;
    }
  }

  // crypt(3) and its relatives.
  if (/^\$[PH]\$/.test(s)) {
    if (s.length !== 34) return false;
    return same(await phpassLike("md5", pw, s.slice(3, 12)), s.slice(12));
  }
  if (s.startsWith("$S$") || s.startsWith("U$S$")) {
    const drupal6 = s.startsWith("U");
    const body = s.slice(drupal6 ? 4 : 3);
    if (body.length !== 52) return false;
    const key = drupal6 ? utf8(digest("md5", pw).toString("hex")) : pw;
    return same((await phpassLike("sha512", key, body.slice(0, 9))).slice(0, 43), body.slice(9));
  }
  {
    const r = cryptCheck(pw, s);
    if (r !== undefined) return r;
  }

  // LDAP schemes.
  if (s.startsWith("{")) {
    const end = s.indexOf("}");
    if (end < 0) return false;
    const scheme = s.slice(1, end).toUpperCase();
    const body = s.slice(end + 1);
    if (scheme === "CRYPT") {
      if (BCRYPT.test(body)) return bcryptCheck(password, body);
      return cryptCheck(pw, body) ?? false;
    }
    const known = LDAP_SCHEMES[scheme];
    if (!known) return false;
    const [alg, salted] = known;
    const raw = b64(body);
    const n = DIGEST_LEN[alg];
    if (raw.length < n || (!salted && raw.length !== n) || (salted && raw.length === n)) return false;
    return same(digest(alg, pw, raw.subarray(n)), raw.subarray(0, n));
  }

  // NT hash: MD4 of the UTF-16LE password.
  {
    const m = /^(sambaNTPassword|ipaNTHash):\s*(\S+)$/.exec(s);
    if (m) {
      const want = m[1] === "ipaNTHash" ? b64(m[2]) : hexBytes(m[2]);
      if (want.length !== 16) return false;
      return same(Buffer.from(await md4(Buffer.from(password, "utf16le")), "hex"), want);
    }
  }

  // Bare hex digests. 32 hex digits are MD5 or an NT hash (a source that named it `nt_hash`);
  // either matching is a match (each is a 128-bit preimage).
  if (HEX.test(s)) {
    const alg = { 32: "md5", 40: "sha1", 64: "sha256", 128: "sha512" }[s.length];
    if (!alg) return false;
    const want = Buffer.from(s, "hex");
    if (same(digest(alg, pw), want)) return true;
    if (alg === "md5") return same(Buffer.from(await md4(Buffer.from(password, "utf16le")), "hex"), want);
    return false;
  }

  return false;
}
