//! `authferry serve`: moves each user when they next sign in (trickle migration), verifying
//! their password against the old platform's digest or API and creating them at the target;
//! and, during the switch, accepts the old platform's session tokens (session fallback).
//!
//! * [`session`]: verification of the old platform's session JWTs against its JWKS.

pub mod session;
