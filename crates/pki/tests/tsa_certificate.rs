mod common;

use chrono::TimeDelta;
use common::{CRL_URL, Openssl, SoftwareCa, attime, now, seeded, signer_key};
use const_oid::db::rfc5280::ID_KP_TIME_STAMPING;
use hims_pki::{
    CertificateInfo, PkiError, TSA_COMMON_NAME, TsaRequest, prepare_tsa_certificate,
    verify_issued_by,
};
use x509_cert::ext::pkix::{BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage};

fn request(public_key_der: &[u8]) -> TsaRequest<'_> {
    TsaRequest {
        public_key_der,
        serial_random: seeded("tsa/serial"),
        crl_url: CRL_URL,
        now: now(),
        not_after: now() + TimeDelta::days(3 * 365),
    }
}

#[test]
fn tsa_certificate_is_for_timestamping_only_and_chains_to_the_ca() {
    let ca = SoftwareCa::new("ca");
    let public = signer_key("tsa").public_key_der().unwrap();
    let pending = prepare_tsa_certificate(&ca.certificate, &request(&public)).unwrap();
    assert!(
        pending.finish(&ca.sign(b"not the TBS")).is_err(),
        "a signature over other bytes must be refused"
    );

    let pending = prepare_tsa_certificate(&ca.certificate, &request(&public)).unwrap();
    let signature = ca.sign(pending.tbs());
    let tsa = pending.finish(&signature).unwrap();
    verify_issued_by(&tsa, &ca.certificate).unwrap();
    let info = CertificateInfo::of(&tsa).unwrap();
    assert_eq!(info.common_name.as_deref(), Some(TSA_COMMON_NAME));
    assert!(!info.is_ca);

    let tbs = tsa.tbs_certificate();
    let (critical, purposes) = tbs.get_extension::<ExtendedKeyUsage>().unwrap().unwrap();
    assert!(critical, "RFC 3161 requires a critical extendedKeyUsage");
    assert_eq!(purposes.0, vec![ID_KP_TIME_STAMPING]);
    let (_, usage) = tbs.get_extension::<KeyUsage>().unwrap().unwrap();
    assert!(usage.digital_signature() && !usage.non_repudiation() && !usage.key_cert_sign());
    let (_, constraints) = tbs.get_extension::<BasicConstraints>().unwrap().unwrap();
    assert!(!constraints.ca);
    assert!(
        tbs.get_extension::<CrlDistributionPoints>()
            .unwrap()
            .is_some()
    );

    let openssl = Openssl::new();
    let ca_pem = openssl.write_certificate("ca.pem", &ca.certificate);
    let tsa_pem = openssl.write_certificate("tsa.pem", &tsa);
    let at = attime(now());
    let verify = openssl.run(&[
        "verify",
        "-attime",
        &at,
        "-purpose",
        "timestampsign",
        "-CAfile",
        &ca_pem,
        &tsa_pem,
    ]);
    assert!(verify.ok, "{}", verify.output);
    // The same certificate is refused for S/MIME: it has no other purpose.
    let smime = openssl.run(&[
        "verify",
        "-attime",
        &at,
        "-purpose",
        "smimesign",
        "-CAfile",
        &ca_pem,
        &tsa_pem,
    ]);
    assert!(!smime.ok, "{}", smime.output);
}

#[test]
fn tsa_certificate_cannot_outlive_the_ca() {
    let ca = SoftwareCa::new("ca");
    let public = signer_key("tsa").public_key_der().unwrap();
    let too_long = TsaRequest {
        not_after: now() + TimeDelta::days(21 * 365),
        ..request(&public)
    };
    assert!(matches!(
        prepare_tsa_certificate(&ca.certificate, &too_long),
        Err(PkiError::InvalidValidity)
    ));
}
