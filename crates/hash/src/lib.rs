//! Password-hash formats: the one place in authferry that knows them.
//!
//! A digest is identified from its shape plus the source platform's hasher name (several
//! formats collide without the hint), parsed into a [`Format`], verified against a plaintext,
//! and re-encoded for a target that knows the same algorithm under another syntax.
//! [`capability`] says, per target, which formats it verifies natively, after a re-encode,
//! through authferry's emitted verify module, or not at all (those users need a reset or a
//! trickle migration).
//!
//! Nothing here ever puts a digest, a salt or a password into an error message.

mod capability;
mod format;

pub use capability::{
    Prepared, Support, TargetSupport, capability, known_targets, prepare_for_target,
};
pub use format::{Format, HashError, Identified, identify, verify};
