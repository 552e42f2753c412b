#!/usr/bin/env python3
"""Makes the Supabase fixtures of crates/platforms/tests/fixtures/supabase/.

    python3 -m venv /tmp/sbvenv && /tmp/sbvenv/bin/pip install bcrypt==4.3.0
    /tmp/sbvenv/bin/python tests/fixtures-gen/supabase/generate.py

(bcrypt 4.3.0 is the version tests/oracles/requirements.txt pins.) Writes:

* users.sql       INSERTs into auth.users, auth.identities and auth.mfa_factors as Supabase Auth
                  (GoTrue) fills them, for the tables of schema.sql beside it: 220 users;
* passwords.json  the password of every user whose encrypted_password is a bcrypt digest of it,
                  by user id (test data, nobody's password);
* expected.json   what authferry must make of each user (no passwords; TOTP secrets included,
                  they are test data too): the canonical fields, or why the user is skipped or
                  fails. The tests compare against this, not against the SQL.

Everything but the bcrypt salts is the same on every run (a fixed seed): GoTrue hashes with
Go's bcrypt at cost 10, which writes `$2a$10$…`; Python's writes `$2b$` for the same
algorithm, so the prefix is rewritten. Two users carry `$2b$`/`$2y$` digests, as users
imported through the admin API's `password_hash` do.

The mix: email+password users (some unconfirmed, some with a phone too), OAuth-only users
(google, github identities and no password), phone-only users (phone without `+`, as GoTrue
stores it), users with a verified TOTP factor (one with two, one with only an unverified one,
one with a verified phone factor beside TOTP), a banned user and one whose ban has ended, a
soft-deleted user, two anonymous users, an SSO (SAML) user, an Azure user, metadata in both
jsonb columns, and users whose records must fail: a digest that is not bcrypt, a password and
a TOTP secret encrypted by GoTrue's database encryption.
"""
import base64
import datetime
import hashlib
import json
import os
import random
import uuid

import bcrypt

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "../../../crates/platforms/tests/fixtures/supabase",
)
USERS = 220
rng = random.Random(20250214)

BANNED, BAN_ENDED, DELETED = 5, 6, 8
ANONYMOUS = (9, 10)
NOT_BCRYPT, ENCRYPTED_PASSWORD, ENCRYPTED_TOTP = 12, 13, 14
SSO, AZURE, PHONE_FACTOR, TWO_TOTP, UNVERIFIED_TOTP = 15, 16, 17, 18, 19
SPECIAL = {BANNED, BAN_ENDED, DELETED, *ANONYMOUS, NOT_BCRYPT, ENCRYPTED_PASSWORD, ENCRYPTED_TOTP, SSO}


def word(n, alphabet="abcdefghijkmnopqrstuvwxyz23456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def new_uuid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def base32_secret():
    # pquerna/otp (GoTrue's TOTP library): 20 random bytes, base32 without padding.
    return base64.b32encode(bytes(rng.getrandbits(8) for _ in range(20))).decode().rstrip("=")


def encrypted_string(key_id):
    # GoTrue's crypto.EncryptedString as stored with GOTRUE_SECURITY_DB_ENCRYPTION_ENCRYPT=true:
    # JSON with the key id, the algorithm, and base64 nonce and data (random bytes here).
    data = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(76))).decode()
    nonce = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(12))).decode()
    return json.dumps({"key_id": key_id, "alg": "aes-gcm-hkdf", "data": data, "nonce": nonce}, separators=(",", ":"))


def ts(hours):
    """2023-03-01 plus `hours`, as a timestamptz literal and as epoch milliseconds."""
    base = 1677628800  # 2023-03-01T00:00:00Z
    secs = base + hours * 3600 + rng.randrange(3600)
    millis = secs * 1000 + rng.randrange(1000)
    return millis


def lit_ts(millis):
    if millis is None:
        return "NULL"
    secs, frac = divmod(millis, 1000)
    when = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return f"'{when:%Y-%m-%d %H:%M:%S}.{frac:03d}+00'"


def lit(s):
    if s is None:
        return "NULL"
    return "'" + s.replace("'", "''") + "'"


def lit_json(v):
    return "NULL" if v is None else lit(json.dumps(v, ensure_ascii=False, separators=(",", ":"))) + "::jsonb"


FIRST = ["Ada", "Grace", "Zoë", "Jean-Luc", "Łukasz", "Mary", "Ken", "Dennis", "Barbara", "Edsger",
         "Frances", "Donald", "Leslie", "Radia", "Niklaus", "Margaret", "Tony", "Hedy", "Alan", "Joan"]
LAST = ["Lovelace", "Hopper", "Ångström", "O'Neil", "Wiśniewski", "Major", "Thompson", "Ritchie",
        "Liskov", "Dijkstra", "Allen", "Knuth", "Lamport", "Perlman", "Wirth", "Hamilton", "Hoare",
        "Lamarr", "Turing", "Clarke"]


def main():
    users_sql, identities_sql, factors_sql = [], [], []
    passwords, expected = {}, {}
    for i in range(USERS):
        uid = new_uuid()
        created = ts(i * 5)
        updated = created + rng.randrange(1, 10**9)
        last_sign_in = None if i % 9 == 2 else updated - rng.randrange(1, 10**6)
        name = f"{FIRST[i % 20]} {LAST[(i * 7) % 20]}"
        oauth_only = i % 15 == 7 and i not in SPECIAL
        phone_only = i % 20 == 11 and i not in SPECIAL
        email = None if phone_only else f"user{i}@example.com"
        if i % 13 == 6 and email:
            email = f"Mixed.Case{i}@Example.COM".lower()  # GoTrue lower-cases addresses
        email_confirmed = None if (i % 10 == 4 and not oauth_only) else created + 60_000
        phone = None
        phone_confirmed = None
        if phone_only or (i % 25 == 3):
            phone = f"1555{i:07d}"
            phone_confirmed = None if (i % 25 == 3 and i % 2 == 1) else created + 30_000
        password = None
        digest = None
        if not oauth_only and i not in (SSO, *ANONYMOUS, DELETED):
            password = (f"pässwörd-ñ-{i}-{word(6)}" if i % 17 == 2 else f"Correct-Horse-{i}-{word(10)}")
            digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()
            prefix = "$2b$" if i == 21 else "$2y$" if i == 22 else "$2a$"
            digest = prefix + digest[4:]
        # A record the source fails (`source_error`), or one it reads and the engine fails
        # (`engine_error`): a substring of the reason each must give.
        fail = None
        engine_error = None
        if i == NOT_BCRYPT:
            # A hand-imported legacy digest (unsalted SHA-256 hex): GoTrue would treat it as
            # bcrypt and never accept it; authferry declares bcrypt and the engine fails it.
            digest = hashlib.sha256(password.encode()).hexdigest()
            engine_error = "bcrypt"
        if i == ENCRYPTED_PASSWORD:
            digest = encrypted_string("gotrue-key-1")
            fail = "gotrue-key-1"
        banned_until = None
        if i == BANNED:
            banned_until = 32503680000000  # 3000-01-01: `ban_duration` of ~876000h
        if i == BAN_ENDED:
            banned_until = 1685577600000  # 2023-06-01: over
        deleted_at = None
        is_anonymous = i in ANONYMOUS
        is_sso = i == SSO
        skip = None
        if i == DELETED:
            deleted_at = updated + 1000
            # A soft delete overwrites the identifiers and drops the password.
            email = hashlib.sha256(uid.encode()).hexdigest()[:40] + "@deleted.invalid"
            skip = "deleted"
        if is_anonymous:
            email = None
            phone = None
            phone_confirmed = None
            email_confirmed = None
            skip = "anonymous"

        providers = []
        accounts = []
        if email and not oauth_only and not is_sso and not is_anonymous:
            providers.append("email")
        if phone and not is_anonymous:
            providers.append("phone")
        if oauth_only or i in (AZURE, 3, 33, 48):
            social = ["google"] if i % 2 else ["github"]
            if oauth_only and i % 4 == 3:
                social = ["google", "github"]
            if i == AZURE:
                social = ["azure"]
            for p in social:
                pid = str(rng.randrange(10**20, 10**21)) if p == "google" else str(rng.randrange(10**6, 10**8)) if p == "github" else new_uuid()
                providers.append(p)
                data = {"sub": pid, "email": email, "email_verified": True, "full_name": name,
                        "avatar_url": f"https://avatars.example/{p}/{pid}.png", "iss": f"https://{p}.example", "provider_id": pid}
                identities_sql.append((uid, p, pid, data, created + 1000, updated))
                accounts.append({"provider": "microsoft" if p == "azure" else p, "provider_user_id": pid, "email": email})
        if is_sso:
            sso_provider = new_uuid()
            pid = f"saml-{word(12)}"
            providers.append(f"sso:{sso_provider}")
            identities_sql.append((uid, f"sso:{sso_provider}", pid, {"sub": pid, "email": email, "custom_claims": {}}, created, updated))
        if "email" in providers:
            identities_sql.append((uid, "email", uid, {"sub": uid, "email": email, "email_verified": email_confirmed is not None, "phone_verified": False}, created, updated))
        if "phone" in providers:
            identities_sql.append((uid, "phone", uid, {"sub": uid, "phone": phone, "email_verified": False, "phone_verified": phone_confirmed is not None}, created, updated))

        user_meta = None
        if i == DELETED:
            user_meta = {}  # a soft delete empties both metadata columns
        elif not is_anonymous:
            user_meta = {"full_name": name}
            if i % 3 == 0:
                user_meta["avatar_url"] = f"https://cdn.example/a/{i}.png"
            if i % 4 == 0:
                user_meta["preferences"] = {"theme": "dark", "newsletter": i % 8 == 0}
        app_meta = {} if i == DELETED else {"provider": providers[0] if providers else ("anonymous" if is_anonymous else "email"),
                    "providers": providers or (["anonymous"] if is_anonymous else [])}
        if i % 6 == 0:
            app_meta["role"] = "admin" if i % 12 == 0 else "editor"
        if i % 7 == 0:
            app_meta["plan"] = {"tier": "pro", "seats": i}

        totp = None
        if password and (i % 12 == 1 or i in (PHONE_FACTOR, TWO_TOTP, ENCRYPTED_TOTP)) and fail is None:
            totp = base32_secret()
            factors_sql.append((new_uuid(), uid, "Authenticator", "totp", "verified", totp, None, created + 3_600_000))
            if i == TWO_TOTP:
                # A second authenticator enrolled later: only the first enrolled moves.
                factors_sql.append((new_uuid(), uid, "Backup phone app", "totp", "verified", base32_secret(), None, created + 7_200_000))
            if i == ENCRYPTED_TOTP:
                factor_id = factors_sql[-1][0]
                factors_sql[-1] = (factor_id, uid, "Authenticator", "totp", "verified", encrypted_string("gotrue-key-2"), None, created + 3_600_000)
                totp = None
                fail = "gotrue-key-2"
        if i == PHONE_FACTOR:
            factors_sql.append((new_uuid(), uid, "SMS", "phone", "verified", None, f"1666{i:07d}", created + 9_000_000))
        if i == UNVERIFIED_TOTP:
            factors_sql.append((new_uuid(), uid, "Never finished", "totp", "unverified", base32_secret(), None, created + 3_600_000))

        users_sql.append(
            "INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, "
            "last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, phone, phone_confirmed_at, "
            "banned_until, is_sso_user, deleted_at, is_anonymous) VALUES ("
            f"'00000000-0000-0000-0000-000000000000', '{uid}', 'authenticated', 'authenticated', {lit(email)}, "
            f"{lit(digest if digest is not None else ('' if not is_anonymous and i % 2 else None))}, "
            f"{lit_ts(email_confirmed)}, {lit_ts(last_sign_in)}, {lit_json(app_meta)}, {lit_json(user_meta)}, "
            f"{lit_ts(created)}, {lit_ts(updated)}, {lit(phone)}, {lit_ts(phone_confirmed)}, {lit_ts(banned_until)}, "
            f"{'true' if is_sso else 'false'}, {lit_ts(deleted_at)}, {'true' if is_anonymous else 'false'});"
        )
        if digest and fail is None and digest.startswith("$2"):
            passwords[uid] = password
        e = {
            "index": i,
            "email": email,
            "email_verified": email_confirmed is not None,
            "phone": f"+{phone}" if phone else None,
            "phone_verified": phone_confirmed is not None,
            # "bcrypt": moves as a bcrypt password; "other": moves declared bcrypt, and fails.
            "password": None if not digest else "bcrypt" if digest.startswith("$2") else "other",
            "totp": totp,
            # A verified phone factor: an SMS second factor, E.164.
            "mfa_phones": [f"+1666{i:07d}"] if i == PHONE_FACTOR else [],
            "banned": i == BANNED,
            "accounts": sorted(accounts, key=lambda a: (a["provider"], a["provider_user_id"])),
            "display_name": (user_meta or {}).get("full_name"),
            "image_url": (user_meta or {}).get("avatar_url"),
            "user_metadata": user_meta,
            "app_metadata": app_meta,
            "created_at": created,
            "updated_at": updated,
            "last_sign_in_at": last_sign_in,
        }
        if skip:
            e = {"index": i, "skip": skip}
        elif fail:
            e["source_error"] = fail
        elif engine_error:
            e["engine_error"] = engine_error
        expected[uid] = e

    with open(os.path.join(OUT, "users.sql"), "w") as f:
        f.write("-- Generated by tests/fixtures-gen/supabase/generate.py: do not edit by hand.\n")
        f.write("\n".join(users_sql) + "\n")
        for uid, provider, pid, data, c, u in identities_sql:
            f.write(
                "INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at) "
                f"VALUES ({lit(pid)}, '{uid}', {lit_json(data)}, {lit(provider)}, {lit_ts(u)}, {lit_ts(c)}, {lit_ts(u)});\n"
            )
        for fid, uid, fname, ftype, status, secret, phone, c in factors_sql:
            f.write(
                "INSERT INTO auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret, phone) "
                f"VALUES ('{fid}', '{uid}', {lit(fname)}, '{ftype}', '{status}', {lit_ts(c)}, {lit_ts(c)}, {lit(secret)}, {lit(phone)});\n"
            )
    with open(os.path.join(OUT, "passwords.json"), "w") as f:
        json.dump(passwords, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{USERS} users, {len(passwords)} bcrypt passwords, {len(identities_sql)} identities, {len(factors_sql)} factors")


if __name__ == "__main__":
    main()
