//! The ES module `authferry emit better-auth-verify --out FILE` writes: a drop-in for
//! better-auth's `emailAndPassword.password` option that verifies bcrypt digests (what Clerk
//! exports) next to better-auth's own scrypt ones. better-auth 1.7.25 exports `hashPassword`
//! and `verifyPassword({ hash, password })` from `better-auth/crypto`; bcryptjs 3 reads
//! `$2a$`, `$2b$` and `$2y$` digests as they are.

const MODULE: &str = r#"// auth-verify.mjs, written by `authferry emit better-auth-verify`.
//
// better-auth verifies only its own scrypt digests. Users migrated with bcrypt digests
// ($2a$/$2b$/$2y$, as Clerk exports them) sign in through this module; new and changed
// passwords are hashed with better-auth's own scrypt, so each user moves to better-auth's
// format the next time they set a password.
//
// Needs the npm packages `better-auth` (1.7.x, already in your app) and `bcryptjs` (3.x):
//
//     npm install bcryptjs
//
// Wire it into your better-auth config:
//
//     import { hash, verify } from "./auth-verify.mjs";
//
//     export const auth = betterAuth({
//       // ...
//       emailAndPassword: { enabled: true, password: { hash, verify } },
//     });

import bcrypt from "bcryptjs";
import { hashPassword, verifyPassword } from "better-auth/crypto";

const BCRYPT = /^\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** better-auth's own scrypt hash (`salt:key`). */
export async function hash(password) {
  return hashPassword(password);
}

/** Whether `password` matches the stored digest, bcrypt or better-auth scrypt. */
export async function verify({ hash, password }) {
  if (typeof hash !== "string" || typeof password !== "string") return false;
  if (BCRYPT.test(hash)) {
    // bcryptjs reads $2a$, $2b$ and $2y$ alike. $2x$ (crypt_blowfish's old sign-extension
    // bug) gives the same digest as $2a$ for passwords without bytes >= 0x80.
    const digest = hash.startsWith("$2x$") ? "$2a$" + hash.slice(4) : hash;
    return bcrypt.compare(password, digest);
  }
  try {
    return await verifyPassword({ hash, password });
  } catch {
    // A digest in neither format matches no password.
    return false;
  }
}
"#;

/// The ES module `authferry emit better-auth-verify` writes.
pub fn verify_module() -> String {
    MODULE.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_hash_and_verify_and_names_its_packages() {
        let m = verify_module();
        assert!(m.contains("export async function hash(password)"));
        assert!(m.contains("export async function verify({ hash, password })"));
        assert!(m.contains("npm install bcryptjs"));
        assert!(m.contains("from \"better-auth/crypto\""));
        assert!(m.contains("password: { hash, verify }"));
    }
}
