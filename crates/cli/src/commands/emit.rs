//! `authferry emit …`: helper files a target needs.

use crate::args::EmitCommand;
use anyhow::Context;

pub fn emit(cmd: EmitCommand) -> anyhow::Result<()> {
    match cmd {
        EmitCommand::BetterAuthVerify { out } => {
            let module = authferry_platforms::better_auth::verify_module();
            std::fs::write(&out, module)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "Wrote {}. Pass its `hash` and `verify` exports as better-auth's `emailAndPassword.password` option, \
                 and add `rehashOnSignIn()` to `plugins` to move users to better-auth's own scrypt as they sign in.",
                out.display()
            );
            Ok(())
        }
    }
}
