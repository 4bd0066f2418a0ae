//! Embedded adapters: everything in one data folder, nothing to install.
//!
//! `<data_dir>/hims.sqlite3` ([`SqliteStore`]), `<data_dir>/blobs/` ([`FileBlobs`]),
//! `<data_dir>/outbox/` ([`OutboxMailer`]) and `<data_dir>/keys/` ([`SoftwareKeys`]).

mod blobs;
mod files;
mod keys;
mod outbox;
mod store;

pub use blobs::FileBlobs;
pub use keys::SoftwareKeys;
pub use outbox::{OutboxEmail, OutboxMailer, render_outbox_html};
pub use store::SqliteStore;
