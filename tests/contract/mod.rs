//! Contract suites for the ports, written once and run against every adapter
//! set (`tests/local_contracts.rs`, the AWS adapters on a moto server).
//!
//! Each suite is a set of `pub async fn` checks plus a macro that stamps out one
//! `#[tokio::test]` per check for an adapter constructor:
//!
//! ```ignore
//! mod contract;
//! async fn store() -> contract::Fixture<dyn Store> { … }
//! crate::store_contract_tests!(crate::store);
//! ```
//!
//! The checks make no assumption about where an adapter keeps its data: every
//! key they write starts with the fixture's namespace, so a shared table or
//! bucket that outlives the test run is fine.

// Each test binary runs the suites it has adapters for.
#![allow(dead_code, unused_macros, unused_imports)]

pub mod blobs;
pub mod keys;
pub mod mail;
pub mod store;
pub mod timestamper;

use std::any::Any;
use std::sync::Arc;

use hims_esign::ports::{OsRng, Rng};

/// An adapter under test, what keeps its backing resources alive (a temp dir),
/// and a namespace unique to this fixture.
pub struct Fixture<P: ?Sized> {
    pub port: Arc<P>,
    pub ns: String,
    _guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<P: ?Sized> Fixture<P> {
    pub fn new(port: Arc<P>) -> Self {
        let tag: [u8; 8] = (&OsRng as &dyn Rng).bytes();
        Self {
            port,
            ns: format!("t{}", hex::encode(tag)),
            _guard: None,
        }
    }

    /// Keeps `guard` alive as long as the fixture (e.g. a `tempfile::TempDir`).
    pub fn with_guard(port: Arc<P>, guard: impl Any + Send + Sync) -> Self {
        Self {
            _guard: Some(Box::new(guard)),
            ..Self::new(port)
        }
    }
}

/// Stamps out one multi-threaded tokio test per listed check, each on a fresh
/// fixture from `$make` (an async fn returning a [`Fixture`]).
#[macro_export]
macro_rules! contract_tests {
    ($suite:ident, $make:path, [$($check:ident),* $(,)?]) => {
        mod $suite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let fixture = $make().await;
                    $crate::contract::$suite::$check(&fixture).await;
                }
            )*
        }
    };
}
