//! `authferry serve`: moves each user when they next sign in (trickle migration), verifying
//! their password against the old platform's digest and creating them at the target with the
//! password in the target's own format; and, during the switch, accepts the old platform's
//! session tokens (session fallback).
//!
//! * [`config`]: the TOML configuration.
//! * [`migrator`]: find, check the journal, move exactly once (blocking, on its own thread).
//! * [`server`]: the HTTP service (axum): `/v1/login`, `/v1/session`, `/healthz`, `/metrics`.
//! * [`session`]: verification of the old platform's session JWTs against its JWKS.

pub mod config;
pub mod migrator;
pub mod server;
pub mod session;

use authferry_core::Secret;
use authferry_platforms::Settings;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0} is not set: callers must present it as `Authorization: Bearer …`")]
    NoToken(&'static str),
    #[error(transparent)]
    Migrator(#[from] migrator::MigratorError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("[session]: {0}")]
    Session(String),
}

/// The endpoints' platform flags and the process environment, as `migrate` would read them.
fn settings(c: &config::Config) -> Settings {
    let mut s = Settings::from_process_env();
    for (k, v) in c.source.flags.iter().chain(&c.target.flags) {
        s = s.with_flag(k, v.clone());
    }
    s
}

/// Opens everything the configuration names, then serves until SIGTERM or SIGINT; in-flight
/// sign-ins finish first.
pub async fn run(c: config::Config) -> Result<(), ServeError> {
    let token = std::env::var(config::TOKEN_VAR)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(Secret::new)
        .ok_or(ServeError::NoToken(config::TOKEN_VAR))?;
    let settings = settings(&c);
    let (from, to, journal) = (
        c.source.from.clone(),
        c.target.from.clone(),
        c.journal.clone(),
    );
    // Opening reads and indexes the source: blocking work, off the runtime's workers.
    let m = tokio::task::spawn_blocking(move || {
        migrator::Migrator::open(&from, &to, &journal, &settings)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))??;
    let native = m.native_format();
    let dummy = m.dummy_digest.clone();
    let mut state = server::AppState::new(
        migrator::MigratorThread::spawn(m),
        token,
        native,
        dummy,
        &c.limits,
    );
    if let Some(sc) = &c.session {
        let verifier = sc
            .verifier_config()
            .and_then(|vc| session::SessionVerifier::new(vc).map_err(|e| e.to_string()))
            .map_err(ServeError::Session)?;
        // Fetched now, so that a wrong JWKS address shows at start; a JWKS that is down only
        // delays session checks (503) until it answers.
        if let Err(e) = verifier.load_keys().await {
            eprintln!(
                "{}",
                serde_json::json!({"event": "session_keys", "outcome": "unavailable", "detail": e.to_string()})
            );
        }
        state.session = Some(verifier);
    }
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind(&c.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: c.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr()?;
    // One line people and scripts wait for.
    println!("listening on http://{addr}");
    let janitor = {
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                state.forget_idle_limits();
            }
        })
    };
    axum::serve(
        listener,
        server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    janitor.abort();
    Ok(())
}

/// [`run`] on a runtime of its own (for the CLI).
pub fn run_blocking(c: config::Config) -> Result<(), ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("authferry-serve")
        .build()?
        .block_on(run(c))
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    eprintln!(
        "{}",
        serde_json::json!({"event": "shutdown", "detail": "finishing in-flight sign-ins"})
    );
}
