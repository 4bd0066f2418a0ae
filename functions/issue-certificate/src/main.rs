//! The `issue-certificate` Lambda function: wiring only (see `hims_esign::lambda`).

use hims_esign::http::Function;
use hims_esign::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::serve_http(Function::IssueCertificate).await
}
