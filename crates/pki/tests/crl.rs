mod common;

use chrono::TimeDelta;
use common::{Openssl, SoftwareCa, attime, now, signer_key, signer_request};
use hims_pki::{
    CertificateInfo, CertificateList, PkiError, Revocation, RevocationReason, crl_from_der,
    crl_from_pem, crl_to_der, crl_to_pem, crl_validity, prepare_crl, revoked_serials, verify_crl,
};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason, SubjectKeyIdentifier};

fn issue_crl(ca: &SoftwareCa, revoked: &[Revocation], number: u64) -> CertificateList {
    let pending = prepare_crl(&ca.certificate, revoked, number, now()).unwrap();
    let signature = ca.sign(pending.tbs());
    pending.finish(&signature).unwrap()
}

fn revoke(serial_hex: &str, reason: Option<RevocationReason>) -> Revocation {
    Revocation {
        serial_hex: serial_hex.to_owned(),
        revoked_at: now() - TimeDelta::hours(1),
        reason,
    }
}

#[test]
fn crl_is_v2_signed_numbered_and_lists_the_revoked_serials() {
    let ca = SoftwareCa::new("ca");
    let revoked = [
        revoke(
            "00ff0102030405060708090a0b0c0d0e0f",
            Some(RevocationReason::KeyCompromise),
        ),
        revoke("0123456789abcdef0123456789abcdef", None),
    ];
    let crl = issue_crl(&ca, &revoked, 7);

    verify_crl(&crl, &ca.certificate).unwrap();
    let tbs = &crl.tbs_cert_list;
    assert_eq!(tbs.version, x509_cert::certificate::Version::V2);
    assert_eq!(
        revoked_serials(&crl),
        [
            "ff0102030405060708090a0b0c0d0e0f",
            "0123456789abcdef0123456789abcdef"
        ]
    );
    assert_eq!(
        crl_validity(&crl).unwrap(),
        (now(), Some(now() + TimeDelta::hours(24)))
    );

    let extensions = tbs.crl_extensions.as_ref().unwrap();
    let number = extensions
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_NUMBER)
        .unwrap();
    let number: CrlNumber = der::Decode::from_der(number.extn_value.as_bytes()).unwrap();
    assert_eq!(number.0.as_bytes(), [7]);
    let aki = extensions
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .unwrap();
    let aki: AuthorityKeyIdentifier = der::Decode::from_der(aki.extn_value.as_bytes()).unwrap();
    let (_, ski) = ca
        .certificate
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .unwrap()
        .unwrap();
    assert_eq!(aki.key_identifier, Some(ski.0));

    let entries = tbs.revoked_certificates.as_ref().unwrap();
    let reason = entries[0].crl_entry_extensions.as_ref().unwrap();
    let reason: CrlReason = der::Decode::from_der(reason[0].extn_value.as_bytes()).unwrap();
    assert_eq!(reason, CrlReason::KeyCompromise);
    assert!(entries[1].crl_entry_extensions.is_none());

    assert_eq!(crl_from_pem(&crl_to_pem(&crl).unwrap()).unwrap(), crl);
    assert_eq!(crl_from_der(&crl_to_der(&crl).unwrap()).unwrap(), crl);
}

#[test]
fn openssl_verifies_the_crl_and_rejects_the_revoked_certificate() {
    let ca = SoftwareCa::new("ca");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    let leaf = ca.issue(&signer_request(
        "Aisyah",
        "900101-14-5678",
        "a@example.my",
        &public_key,
    ));
    let serial = CertificateInfo::of(&leaf).unwrap().serial_hex;
    let crl = issue_crl(
        &ca,
        &[revoke(
            &serial,
            Some(RevocationReason::CessationOfOperation),
        )],
        1,
    );

    let openssl = Openssl::new();
    let ca_pem = openssl.write_certificate("ca.pem", &ca.certificate);
    let leaf_pem = openssl.write_certificate("leaf.pem", &leaf);
    let crl_pem = openssl.write("crl.pem", &crl_to_pem(&crl).unwrap());

    let check = openssl.run(&[
        "crl", "-in", &crl_pem, "-CAfile", &ca_pem, "-noout", "-text",
    ]);
    assert!(check.ok, "{}", check.output);
    assert!(check.output.contains("verify OK"), "{}", check.output);
    assert!(
        check.output.contains(&serial.to_uppercase()),
        "{}",
        check.output
    );
    assert!(
        check.output.contains("Cessation Of Operation"),
        "{}",
        check.output
    );

    let at = attime(now() + TimeDelta::hours(1));
    let verify = openssl.run(&[
        "verify",
        "-attime",
        &at,
        "-crl_check",
        "-CRLfile",
        &crl_pem,
        "-CAfile",
        &ca_pem,
        &leaf_pem,
    ]);
    assert!(!verify.ok, "{}", verify.output);
    assert!(
        verify.output.contains("certificate revoked"),
        "{}",
        verify.output
    );

    let empty_pem = openssl.write("empty.pem", &crl_to_pem(&issue_crl(&ca, &[], 2)).unwrap());
    let verify = openssl.run(&[
        "verify",
        "-attime",
        &at,
        "-crl_check",
        "-CRLfile",
        &empty_pem,
        "-CAfile",
        &ca_pem,
        &leaf_pem,
    ]);
    assert!(verify.ok, "{}", verify.output);
}

#[test]
fn tampered_or_foreign_crl_fails_verification() {
    let ca = SoftwareCa::new("ca");
    let crl = issue_crl(&ca, &[revoke("0a0b0c", None)], 3);
    let mut der = crl_to_der(&crl).unwrap();
    let at = der
        .windows(3)
        .position(|w| w == [0x0a, 0x0b, 0x0c])
        .unwrap();
    der[at + 2] ^= 0x01;
    let tampered = crl_from_der(&der).unwrap();
    assert_eq!(revoked_serials(&tampered), ["0a0b0d"]);
    assert!(matches!(
        verify_crl(&tampered, &ca.certificate),
        Err(PkiError::BadSignature)
    ));

    let other = SoftwareCa::new("other");
    assert!(matches!(
        verify_crl(&crl, &other.certificate),
        Err(PkiError::IssuerMismatch) | Err(PkiError::BadSignature)
    ));

    let openssl = Openssl::new();
    let ca_pem = openssl.write_certificate("ca.pem", &ca.certificate);
    let crl_pem = openssl.write("crl.pem", &crl_to_pem(&tampered).unwrap());
    let check = openssl.run(&["crl", "-in", &crl_pem, "-CAfile", &ca_pem, "-noout"]);
    assert!(!check.output.contains("verify OK"), "{}", check.output);
}

#[test]
fn bad_revocation_serials_are_refused() {
    let ca = SoftwareCa::new("ca");
    for serial in ["", "00", "xyz", &"ab".repeat(21)] {
        let result = prepare_crl(&ca.certificate, &[revoke(serial, None)], 1, now());
        assert!(
            matches!(result, Err(PkiError::InvalidInput { .. })),
            "{serial:?}"
        );
    }
}
