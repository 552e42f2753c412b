//! Errors. None of them ever carries a digest, a salt, a key or a password: only format names,
//! lengths, parameter names and a description of what is wrong.

/// Why a digest could not be identified, parsed, verified or converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum HashError {
    /// The digest matches no known shape. The hint is the hasher name the source gave, if any.
    #[error("unrecognised password digest ({len} characters{})", hint.as_ref().map(|h| format!(", source hasher `{h}`")).unwrap_or_default())]
    Unrecognised { len: usize, hint: Option<String> },
    /// The digest has a known prefix or hasher but a broken body.
    #[error("malformed {format} digest: {what}")]
    Malformed { format: &'static str, what: String },
    /// The format is known but this build cannot verify it.
    #[error("verification of {0} is not supported")]
    Unsupported(&'static str),
    /// The format is known, but these parameters are out of what authferry verifies.
    #[error("{format} digest with unsupported parameters: {what}")]
    UnsupportedParams { format: &'static str, what: String },
    /// The source names the digest's hasher, and the name is no algorithm authferry knows:
    /// the digest is not guessed from its shape (a custom name may mean anything).
    #[error(
        "password hasher `{name}` names no algorithm authferry knows (say which format it is with --hasher-alias {name}=FORMAT; docs/password-hashes.md lists the formats)"
    )]
    UnknownHasher { name: String },
    /// The digest is not what the source's hasher name says it is.
    #[error("the digest is not a {format} digest, as password hasher `{hasher}` says: {why}")]
    MismatchedHasher {
        hasher: String,
        format: &'static str,
        why: String,
    },
    /// Verifying would cost more than the budget allows (the digest chose its work factor).
    #[error("{format} digest not verified: it needs {what}")]
    OverBudget { format: &'static str, what: String },
    /// The memory a verification needs could not be allocated.
    #[error("{format} digest not verified: {what}")]
    OutOfMemory { format: &'static str, what: String },
    /// Verification needs a parameter that is not in the digest and was not given.
    #[error(
        "{format} digest needs the `{param}` parameter, which the source does not store in the digest"
    )]
    MissingParam {
        format: &'static str,
        param: &'static str,
    },
    /// The digest cannot be written in the other format.
    #[error("cannot convert {from} to {to}: {why}")]
    NotConvertible {
        from: &'static str,
        to: &'static str,
        why: String,
    },
}

impl HashError {
    pub(crate) fn malformed(format: &'static str, what: impl Into<String>) -> Self {
        HashError::Malformed {
            format,
            what: what.into(),
        }
    }
}
