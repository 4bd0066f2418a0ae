//! The `Timestamper` contract: a checked RFC 3161 token over exactly the
//! digest asked, from a timestamping-only certificate, a fresh serial each time.

use hims_esign::ports::Timestamper;
use sha2::{Digest, Sha256};

use super::Fixture;

/// One test per check below, on a fresh fixture from `$make`.
#[macro_export]
macro_rules! timestamper_contract_tests {
    ($make:path) => {
        $crate::contract_tests!(
            timestamper,
            $make,
            [
                token_covers_exactly_the_digest,
                every_token_has_its_own_serial,
            ]
        );
    };
}

fn digest(f: &Fixture<dyn Timestamper>, label: &str) -> [u8; 32] {
    Sha256::digest(format!("{}/{label}", f.ns)).into()
}

pub async fn token_covers_exactly_the_digest(f: &Fixture<dyn Timestamper>) {
    let stamped = digest(f, "signature value");
    let token = f.port.timestamp(&stamped).await.expect("a token");
    let verified = hims_tsp::verify_token(&token, &stamped, None).expect("token verifies");
    let certificate = hims_pki::certificate_from_der(&verified.tsa_certificate_der).unwrap();
    let info = hims_pki::CertificateInfo::of(&certificate).unwrap();
    assert_eq!(info.common_name.as_deref(), Some(hims_pki::TSA_COMMON_NAME));
    assert!(info.not_before <= verified.gen_time && verified.gen_time <= info.not_after);
    assert!(hims_tsp::verify_token(&token, &digest(f, "other"), None).is_err());
}

pub async fn every_token_has_its_own_serial(f: &Fixture<dyn Timestamper>) {
    let stamped = digest(f, "same");
    let first = f.port.timestamp(&stamped).await.expect("a token");
    let second = f.port.timestamp(&stamped).await.expect("a token");
    let serial = |token: &[u8]| {
        hims_tsp::verify_token(token, &stamped, None)
            .unwrap()
            .serial_hex
    };
    assert_ne!(serial(&first), serial(&second));
}
