//! Out-of-band parameters: what a source keeps beside the digest rather than inside it
//! (Firebase's project signer key, separator, rounds and memory cost; a per-user salt; a pepper;
//! an HMAC key; the salt's position).

use serde::Deserialize;

/// Parameters given beside a digest. All optional. Values that are bytes (`signer_key`,
/// `salt_separator`, and `salt`/`key` when their `*_encoding` says so) are base64, as Firebase
/// exports them.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtParams {
    /// Firebase `base64_signer_key`.
    #[serde(alias = "base64_signer_key", alias = "signerKey")]
    pub signer_key: Option<String>,
    /// Firebase `base64_salt_separator`.
    #[serde(alias = "base64_salt_separator", alias = "saltSeparator")]
    pub salt_separator: Option<String>,
    /// Firebase `rounds` (scrypt r).
    pub rounds: Option<u32>,
    /// Firebase `mem_cost` (log2 of scrypt N).
    #[serde(alias = "memCost", alias = "memoryCost", alias = "mem_cost")]
    pub mem_cost: Option<u32>,
    /// A per-user salt kept outside the digest (Firebase `salt`, Auth0 `salt.value`).
    pub salt: Option<String>,
    /// How `salt` is written: `base64` (default for Firebase scrypt), `utf8`, `hex`.
    pub salt_encoding: Option<String>,
    /// `prefix` (H(salt ‖ pw), the default) or `suffix` (H(pw ‖ salt)).
    #[serde(alias = "position")]
    pub salt_position: Option<String>,
    /// A pepper appended to the password (bcrypt_peppered when not in the digest).
    pub pepper: Option<String>,
    /// An HMAC key (utf8 unless `key_encoding` says `hex` or `base64`).
    pub hmac_key: Option<String>,
    pub key_encoding: Option<String>,
}

impl std::fmt::Debug for ExtParams {
    /// Names which parameters are present, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present = |o: bool| if o { "<set>" } else { "-" };
        f.debug_struct("ExtParams")
            .field("signer_key", &present(self.signer_key.is_some()))
            .field("salt_separator", &present(self.salt_separator.is_some()))
            .field("rounds", &self.rounds)
            .field("mem_cost", &self.mem_cost)
            .field("salt", &present(self.salt.is_some()))
            .field("salt_encoding", &self.salt_encoding)
            .field("salt_position", &self.salt_position)
            .field("pepper", &present(self.pepper.is_some()))
            .field("hmac_key", &present(self.hmac_key.is_some()))
            .field("key_encoding", &self.key_encoding)
            .finish()
    }
}

impl ExtParams {
    /// From the `params` object of a canonical user's password (or a `hash verify` line). The
    /// error names the known fields, never a value.
    pub fn from_json(
        map: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, crate::HashError> {
        serde_json::from_value(serde_json::Value::Object(map.clone())).map_err(|_| {
            crate::HashError::UnsupportedParams {
                format: "params",
                what: "unknown field or wrong type (known: signer_key, salt_separator, rounds, \
                       mem_cost, salt, salt_encoding, salt_position, pepper, hmac_key, key_encoding)"
                    .into(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_json_reads_firebase_names_and_never_echoes_values() {
        let m = serde_json::json!({"base64_signer_key": "a2V5", "saltSeparator": "Bw==", "rounds": 8, "memCost": 14});
        let p = ExtParams::from_json(m.as_object().unwrap()).unwrap();
        assert_eq!((p.rounds, p.mem_cost), (Some(8), Some(14)));
        assert_eq!(p.signer_key.as_deref(), Some("a2V5"));
        let bad = serde_json::json!({"rounds": "S3CRET"});
        let e = ExtParams::from_json(bad.as_object().unwrap())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("S3CRET") && e.contains("rounds"), "{e}");
        let unknown = serde_json::json!({"S3CRETFIELD": 1});
        let e = ExtParams::from_json(unknown.as_object().unwrap())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("S3CRET"), "{e}");
    }
}
