//! The fake SuperTokens core through its Rust wrapper: bulk-import POST, processing, then the
//! imported users sign in, verify a TOTP code and are found by their external ids.

use authferry_testkit::fake_supertokens::{FakeSupertokens, totp_code};
use serde_json::json;

// bcrypt("hello"), from Auth0's bulk-import docs (the project's password-hashes reference).
const BCRYPT_HELLO: &str = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
// Firebase's published example: project signer key, and the digest of "user1password".
const FB_SIGNER: &str =
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";
const FB_USER1: &str = "$f_scrypt$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$m=14$r=8$s=Bw==";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[test]
fn post_process_signin_round_trip() {
    let Some(core) = FakeSupertokens::start(&[
        "--roles",
        "admin",
        "--process-rate",
        "0",
        "--bcrypt-rounds",
        "4",
        "--firebase-signer-key",
        FB_SIGNER,
    ]) else {
        return;
    };
    let users = [
        json!({
            "externalUserId": "src-1",
            "userMetadata": {"plan": "pro"},
            "userRoles": [{"role": "admin", "tenantIds": ["public"]}],
            "totpDevices": [{"secretKey": SECRET, "deviceName": "phone"}],
            "loginMethods": [{"recipeId": "emailpassword", "email": "One@Example.com",
                              "passwordHash": BCRYPT_HELLO, "hashingAlgorithm": "bcrypt",
                              "isVerified": true}]
        }),
        json!({
            "externalUserId": "src-2",
            "loginMethods": [{"recipeId": "emailpassword", "email": "two@example.com",
                              "passwordHash": FB_USER1, "hashingAlgorithm": "firebase_scrypt"}]
        }),
        json!({
            "externalUserId": "src-3",
            "loginMethods": [{"recipeId": "emailpassword", "email": "three@example.com",
                              "plainTextPassword": "plain-pass-3"}]
        }),
    ];
    let (status, body) = core.add_users(&users);
    assert_eq!((status, body), (200, json!({"status": "OK"})));
    assert_eq!(core.stat(&["bulk", "NEW"]), 3);
    assert_eq!(core.bulk().len(), 3);

    let out = core.process_now();
    assert_eq!(out["processed"], 3, "{out}");
    assert_eq!(
        core.stat(&["bulk", "total"]),
        0,
        "imported entries are deleted"
    );
    assert_eq!(core.stat(&["imported_users"]), 3);

    assert!(core.signin("one@example.com", "hello"));
    assert!(!core.signin("one@example.com", "hullo"));
    assert!(core.signin("two@example.com", "user1password"));
    assert!(core.signin("three@example.com", "plain-pass-3"));

    let st_id = core.mapping("src-1").expect("src-1 is mapped");
    assert_ne!(st_id, "src-1");
    assert_eq!(core.mapping("nobody"), None);
    assert!(core.verify_totp("src-1", &totp_code(SECRET, 30)));

    let one = core
        .users()
        .into_iter()
        .find(|u| u["externalUserId"] == "src-1")
        .expect("src-1 imported");
    assert_eq!(one["id"], st_id.as_str());
    assert_eq!(one["loginMethods"][0]["passwordHash"], BCRYPT_HELLO);
    assert_eq!(one["roles"], json!(["admin"]));
    assert_eq!(one["rolesByTenant"]["public"], json!(["admin"]));
    assert_eq!(core.stat(&["accepted"]), 3);
    assert_eq!(one["metadata"], json!({"plan": "pro"}));
    assert_eq!(core.stat(&["spec_violations"]), 0);
    assert_eq!(core.stat(&["duplicate_users"]), 0);
}

#[test]
fn failures_stay_until_removed() {
    let Some(core) = FakeSupertokens::start(&["--process-rate", "0"]) else {
        return;
    };
    let user = |email: &str, ext: &str| {
        json!({"externalUserId": ext, "loginMethods": [{"recipeId": "emailpassword",
               "email": email, "passwordHash": BCRYPT_HELLO, "hashingAlgorithm": "bcrypt"}]})
    };
    assert_eq!(core.add_users(&[user("a@example.com", "a")]).0, 200);
    core.process_now();
    // the same email again (a blind retry would do this): E003 at processing
    assert_eq!(core.add_users(&[user("A@example.com", "a2")]).0, 200);
    core.process_now();
    let failed = core.bulk();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], "FAILED");
    assert_eq!(
        failed[0]["errorMessage"],
        "E003: A user with email a@example.com already exists in emailpassword loginMethod."
    );
    assert_eq!(core.stat(&["duplicate_attempts"]), 1);
    core.configure(json!({"process_rate": 0, "fault_rate": 0.0}));
    // a validation error is a 400 with the failing index and nothing stored
    let (status, body) = core.add_users(&[json!({"loginMethods": []})]);
    assert_eq!(status, 400);
    // the core sends it as text/html, but the text is JSON
    let parsed = body;
    assert_eq!(
        parsed["users"][0]["errors"],
        json!(["At least one loginMethod is required."])
    );
}
