// TEST-ONLY stand-in for `authferry emit better-auth-verify`, used by selftest.mjs to prove the
// checker before the real module exists. Same contract: an ES module with named exports
// `hash(password)` and `verify({ hash, password })` for better-auth's emailAndPassword.password.
//   * bcrypt digests ($2a$/$2b$/$2y$, as Clerk exports them) -> bcryptjs
//   * better-auth's own scrypt format (hex salt ":" hex key) -> better-auth/crypto verifyPassword
//   * new passwords are hashed with better-auth's default scrypt.
import bcrypt from "bcryptjs";
import { hashPassword, verifyPassword } from "better-auth/crypto";

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const BA_SCRYPT = /^[0-9a-f]{32}:[0-9a-f]{128}$/i;

export async function hash(password) {
  return hashPassword(password);
}

export async function verify({ hash, password }) {
  if (typeof hash !== "string" || typeof password !== "string") return false;
  if (BCRYPT.test(hash)) return bcrypt.compare(password, hash);
  if (BA_SCRYPT.test(hash)) return verifyPassword({ hash, password });
  return false;
}
