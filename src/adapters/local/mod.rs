//! Embedded adapters: SQLite store, file blobs, outbox mailer, software keys.
