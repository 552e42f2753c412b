// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) from an RFC 4648 base32 secret, with node:crypto only.
// Deliberately independent of better-auth's own OTP helper, so that a code accepted by
// better-auth's verifyTOTP proves the stored secret decrypts to the right HMAC key.
import { createHmac } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 (case-insensitive, padding and spaces ignored) -> bytes. Throws on bad input. */
export function base32Decode(text) {
  const clean = String(text).toUpperCase().replace(/[\s=]/g, "");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error("base32 secret contains a character outside RFC 4648");
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP. */
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 10 ** digits).padStart(digits, "0");
}

/** The code for `base32Secret` at time `nowMs` (default: now). */
export function totp(base32Secret, { nowMs = Date.now(), period = 30, digits = 6, stepOffset = 0 } = {}) {
  const counter = Math.floor(nowMs / 1000 / period) + stepOffset;
  return hotp(base32Decode(base32Secret), counter, digits);
}

/** A 6-digit code that is none of the codes valid within ±`window` steps of now. */
export function wrongTotp(base32Secret, { nowMs = Date.now(), window = 2 } = {}) {
  const valid = new Set();
  for (let s = -window; s <= window; s++) valid.add(totp(base32Secret, { nowMs, stepOffset: s }));
  let n = Number(totp(base32Secret, { nowMs }));
  do n = (n + 500_001) % 1_000_000;
  while (valid.has(String(n).padStart(6, "0")));
  return String(n).padStart(6, "0");
}

// RFC 6238 appendix B test vector (SHA-1, key "12345678901234567890", T=59 s -> 94287082 at 8 digits).
export function selfTest() {
  const key = Buffer.from("12345678901234567890");
  if (hotp(key, Math.floor(59 / 30), 8) !== "94287082") throw new Error("TOTP self-test failed (RFC 6238 vector, T=59)");
  if (hotp(key, Math.floor(1111111109 / 30), 8) !== "07081804") throw new Error("TOTP self-test failed (RFC 6238 vector, T=1111111109)");
  // base32 of the same key
  if (!base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").equals(key)) throw new Error("base32 self-test failed");
}
