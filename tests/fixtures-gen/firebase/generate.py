#!/usr/bin/env python3
"""Makes the Firebase fixtures of crates/platforms/tests/fixtures/firebase/.

    python3 -m venv /tmp/fbvenv && /tmp/fbvenv/bin/pip install -r tests/oracles/requirements.txt
    /tmp/fbvenv/bin/python tests/fixtures-gen/firebase/generate.py

Writes, byte for byte the same on every run (a fixed seed):

* export.json       what `firebase auth:export users.json` writes (firebase-tools'
                    src/accountExporter.ts: `{"users": [` then each user as JSON.stringify(user,
                    null, 2), `,` between them, `]}`), with 210 users and one broken record;
* export.csv        what `firebase auth:export users.csv` writes: no header, the 26 columns of
                    the docs' table, then disabled and custom claims (as current firebase-tools
                    writes them), and the trailing comma the exporter leaves on every row; the
                    first 30 users and one broken row;
* hash_config.txt   the project's "Password hash parameters" as the console shows them (made up);
* passwords.json    every password user's password by localId (test data, nobody's password).

Password digests are made by Firebase's modified scrypt as the `firebase-scrypt` package
(pinned in tests/oracles/requirements.txt) implements it, not by authferry.

Beyond what firebase-tools exports today, some records carry what the Identity Toolkit's
downloadAccount returns and firebase-tools drops: `mfaInfo` (phone second factors), and
providerUserInfo entries for `apple.com`, `password` and `phone`. authferry reads them when an
export has them (one made with the Admin SDK or the REST API).
"""
import base64
import json
import os
import random
import sys

import firebase_scrypt

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../crates/platforms/tests/fixtures/firebase")
USERS = 210
CSV_USERS = 30
ROUNDS, MEM_COST = 8, 14

rng = random.Random(20240610)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def rbytes(n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def word(n: int, alphabet="abcdefghijkmnopqrstuvwxyz23456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


SIGNER_KEY = b64(rbytes(64))
SALT_SEPARATOR = b64(b"\x07")  # Firebase's usual separator, Bw==

PROVIDERS = ["google.com", "github.com", "facebook.com", "twitter.com", "apple.com"]
# What firebase-tools keeps in an export (PROVIDER_ID_INDEX_MAP), in its CSV column order.
CSV_PROVIDERS = ["google.com", "facebook.com", "twitter.com", "github.com"]
NAMES = ["Ada Lovelace", "Grace Hopper", "Zoë Ångström", "John Smith, Jr.", "Łukasz Wiśniewski",
         "Mary Major", "Ken Thompson", "Radia Perlman", "渡辺 直美", "Hedy Lamarr", "", "Tony Hoare"]


def password_for(i: int) -> str:
    if i % 10 == 2:
        return f"pässwörd-ñ-{i}-{word(6)}"
    return f"Correct-Horse-{i}-{word(10)}"


def firebase_hash(password: str, salt: str) -> str:
    dk = firebase_scrypt.generate_derived_key(password, salt, SALT_SEPARATOR, ROUNDS, MEM_COST)
    return b64(firebase_scrypt.encrypt(base64.b64decode(SIGNER_KEY), dk))


def make_user(i: int, passwords: dict) -> dict:
    """One user in downloadAccount's shape, keys in the order firebase-tools writes them."""
    local_id = f"fb{i:03d}" + word(24, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    created = 1_600_000_000_000 + i * 86_400_123
    phone_only = i % 11 == 5
    oauth_only = not phone_only and i % 7 == 3
    u = {"localId": local_id}
    if not phone_only:
        u["email"] = f"Mixed.Case{i}@Example.COM" if i % 3 == 1 else f"user{i}@example.com"
        u["emailVerified"] = oauth_only or i % 4 != 2
    if not phone_only and not oauth_only:
        pw = password_for(i)
        passwords[local_id] = pw
        salt = b64(rbytes(rng.choice([10, 12, 16])))
        u["passwordHash"] = firebase_hash(pw, salt)
        u["salt"] = salt
    name = NAMES[i % len(NAMES)]
    if name and not phone_only:
        u["displayName"] = name
    if i % 5 == 0 and not phone_only:
        u["photoUrl"] = f"https://lh3.example.com/a/photo-{i}.png"
    if i % 3 != 0:
        u["lastSignedInAt"] = str(created + 3_600_000 + i)
    u["createdAt"] = str(created)
    if phone_only or i % 8 == 7:
        u["phoneNumber"] = f"+1555{i:07d}"
    if i % 13 == 6 and not phone_only:
        u["disabled"] = True
    if i % 5 == 1:
        u["customAttributes"] = json.dumps({"role": "admin" if i % 2 else "editor", "tier": i % 4, "tags": ["a", "b,c"]},
                                           separators=(",", ":"))
    infos = []
    if oauth_only or (i % 6 == 0 and not phone_only):
        provider = PROVIDERS[(i // 7) % len(PROVIDERS)] if oauth_only else "google.com"
        info = {"providerId": provider, "rawId": str(100_000_000_000 + i * 7919)}
        if provider != "twitter.com":
            info["email"] = u["email"]
        if name:
            info["displayName"] = name
        info["photoUrl"] = f"https://provider.example.com/{i}.jpg"
        infos.append(info)
    if i % 17 == 8 and "passwordHash" in u:
        # downloadAccount lists the password as a provider; it is no external account.
        infos.append({"providerId": "password", "rawId": u["email"], "email": u["email"]})
    if phone_only and i % 2 == 1:
        infos.append({"providerId": "phone", "rawId": u["phoneNumber"]})
    if infos or not phone_only:
        u["providerUserInfo"] = infos
    if i % 9 == 4 and "passwordHash" in u:
        mfa = [{"mfaEnrollmentId": word(20), "displayName": "phone", "phoneInfo": f"+4420{i:07d}",
                "enrolledAt": "2023-05-01T10:00:00.123Z"}]
        if i % 2 == 0:
            mfa.append({"mfaEnrollmentId": word(20), "phoneInfo": f"+3361{i:07d}",
                        "enrolledAt": "2023-06-01T10:00:00Z"})
        u["mfaInfo"] = mfa
    return u


def csv_row(u: dict) -> str:
    """firebase-tools' transUserToArray(user).join(",") + ",": 28 cells and a trailing comma."""
    def comma(s):
        return f'"{s}"' if "," in s else s

    arr = [""] * 28
    arr[0] = u["localId"]
    arr[1] = u.get("email", "")
    arr[2] = "true" if u.get("emailVerified") else "false"
    arr[3] = u.get("passwordHash", "")
    arr[4] = u.get("salt", "")
    arr[5] = comma(u.get("displayName", ""))
    arr[6] = u.get("photoUrl", "")
    for info in u.get("providerUserInfo", []):
        if info["providerId"] in CSV_PROVIDERS:
            at = {"google.com": 7, "facebook.com": 11, "twitter.com": 15, "github.com": 19}[info["providerId"]]
            arr[at:at + 4] = [info["rawId"], info.get("email", ""), comma(info.get("displayName", "")),
                              info.get("photoUrl", "")]
    arr[23] = u.get("createdAt", "")
    arr[24] = u.get("lastSignedInAt", "")
    arr[25] = u.get("phoneNumber", "")
    arr[26] = "true" if u.get("disabled") else ""
    claims = u.get("customAttributes")
    arr[27] = '"' + claims.replace('"', '""') + '"' if claims else ""
    return ",".join(arr) + ","


def main():
    os.makedirs(OUT, exist_ok=True)
    passwords = {}
    users = [make_user(i, passwords) for i in range(USERS)]
    # One record that must fail alone: createdAt is not milliseconds.
    broken = dict(users[40])
    broken["localId"] = "fbBROKENcreatedAt0000000000"
    broken["email"] = "broken@example.com"
    broken["createdAt"] = "yesterday"
    for k in ("passwordHash", "salt", "mfaInfo"):
        broken.pop(k, None)
    broken["providerUserInfo"] = []
    records = users[:100] + [broken] + users[100:]

    with open(os.path.join(OUT, "export.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write('{"users": [\n')
        f.write(",\n".join(json.dumps(u, indent=2, ensure_ascii=False) for u in records))
        f.write("]}")

    csv_broken = dict(users[7])
    csv_broken.update({"localId": "fbBROKENcsvCreatedAt00000000", "email": "broken-csv@example.com",
                       "createdAt": "not-a-number"})
    rows = [csv_row(u) for u in users[:15]] + [csv_row(csv_broken)] + [csv_row(u) for u in users[15:CSV_USERS]]
    with open(os.path.join(OUT, "export.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(rows) + "\n")

    with open(os.path.join(OUT, "hash_config.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("hash_config {\n"
                "  algorithm: SCRYPT,\n"
                f"  base64_signer_key: {SIGNER_KEY},\n"
                f"  base64_salt_separator: {SALT_SEPARATOR},\n"
                f"  rounds: {ROUNDS},\n"
                f"  mem_cost: {MEM_COST},\n"
                "}\n")

    with open(os.path.join(OUT, "passwords.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(passwords, f, indent=2, ensure_ascii=False)
        f.write("\n")

    # Self-check against the package's own verifier, so a fixture never ships unverifiable.
    by_id = {u["localId"]: u for u in users}
    for local_id, pw in passwords.items():
        u = by_id[local_id]
        assert firebase_scrypt.verify_password(pw, u["passwordHash"], u["salt"], SALT_SEPARATOR, SIGNER_KEY,
                                               ROUNDS, MEM_COST)
    print(f"{len(records)} JSON records, {len(rows)} CSV rows, {len(passwords)} passwords -> {os.path.normpath(OUT)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
