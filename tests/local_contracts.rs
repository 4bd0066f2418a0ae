//! The port contract suites on the embedded adapters, plus what only they promise
//! (files, modes, persistence across a restart).

mod contract;

use std::sync::Arc;

use contract::Fixture;
use hims_esign::adapters::local::SqliteStore;
use hims_esign::ports::Store;

async fn sqlite_store() -> Fixture<dyn Store> {
    let store = SqliteStore::open_in_memory().expect("open store");
    Fixture::new(Arc::new(store))
}

async fn sqlite_file_store() -> Fixture<dyn Store> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_in_dir(dir.path()).expect("open store");
    Fixture::with_guard(Arc::new(store), dir)
}

mod in_memory {
    crate::store_contract_tests!(crate::sqlite_store);
}

mod on_disk {
    crate::store_contract_tests!(crate::sqlite_file_store);
}
