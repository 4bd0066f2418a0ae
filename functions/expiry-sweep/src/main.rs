//! The `expiry-sweep` Lambda function: wiring only (see `hims_esign::lambda`).

use hims_esign::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::serve_expiry_sweep().await
}
