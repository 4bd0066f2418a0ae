mod common;

use chrono::TimeDelta;
use common::{CRL_URL, Openssl, SoftwareCa, attime, now, seeded, signer_key, signer_request};
use const_oid::db::rfc5280::ID_KP_EMAIL_PROTECTION;
use der::{Decode, Encode};
use hims_pki::{
    CA_COMMON_NAME, CertificateInfo, Field, ID_KP_DOCUMENT_SIGNING, IssuerKey, LeafRequest,
    LeafSubject, PkiError, SYSTEM_COMMON_NAME, certificate_from_der, certificate_from_pem,
    certificate_to_der, certificate_to_pem, prepare_ca_certificate, prepare_leaf_certificate,
    verify_certificate_signature, verify_issued_by,
};
use x509_cert::Certificate;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    SubjectAltName, SubjectKeyIdentifier,
};

const NAME: &str = "Nur Aisyah binti Abdullah";
/// What the app puts in subject serialNumber: a keyed pseudonym, never the IC number.
const PSEUDONYM: &str = "HIMS-7Q2KX4MZ9TB3WD5N";
const EMAIL: &str = "aisyah@example.my";

fn extension<'a, T>(certificate: &'a Certificate) -> (bool, T)
where
    T: der::Decode<'a> + const_oid::AssociatedOid,
{
    certificate
        .tbs_certificate()
        .get_extension::<T>()
        .unwrap()
        .unwrap_or_else(|| panic!("extension {} missing", T::OID))
}

fn ski(certificate: &Certificate) -> Vec<u8> {
    extension::<SubjectKeyIdentifier>(certificate)
        .1
        .0
        .as_bytes()
        .to_vec()
}

#[test]
fn ca_certificate_has_the_ca_profile() {
    let ca = SoftwareCa::new("ca");
    let info = CertificateInfo::of(&ca.certificate).unwrap();
    assert_eq!(info.common_name.as_deref(), Some(CA_COMMON_NAME));
    assert!(info.is_ca);
    assert_eq!(info.not_before, now() - TimeDelta::minutes(5));
    assert_eq!(
        info.not_after,
        now().checked_add_months(chrono::Months::new(240)).unwrap()
    );
    assert_eq!(
        ca.certificate.tbs_certificate().subject().to_string(),
        format!("CN={CA_COMMON_NAME},O=Jabatan Perumahan Negara,C=MY")
    );

    let (critical, constraints) = extension::<BasicConstraints>(&ca.certificate);
    assert!(critical && constraints.ca);
    assert_eq!(constraints.path_len_constraint, Some(0));
    let (critical, usage) = extension::<KeyUsage>(&ca.certificate);
    assert!(critical && usage.key_cert_sign() && usage.crl_sign());
    assert!(!usage.digital_signature());
    let (_, aki) = extension::<AuthorityKeyIdentifier>(&ca.certificate);
    assert_eq!(aki.key_identifier.unwrap().as_bytes(), ski(&ca.certificate));

    verify_issued_by(&ca.certificate, &ca.certificate).unwrap();
}

#[test]
fn signer_certificate_carries_every_extension() {
    let ca = SoftwareCa::new("ca");
    let key = signer_key("aisyah");
    let public_key = key.public_key_der().unwrap();
    let leaf = ca.issue(&signer_request(NAME, PSEUDONYM, EMAIL, &public_key));

    let info = CertificateInfo::of(&leaf).unwrap();
    assert_eq!(info.common_name.as_deref(), Some(NAME));
    assert_eq!(info.subject_serial.as_deref(), Some(PSEUDONYM));
    assert_eq!(info.email.as_deref(), Some(EMAIL));
    assert_eq!(info.public_key_der, public_key);
    assert_eq!(info.not_before, now() - TimeDelta::minutes(5));
    assert_eq!(info.not_after, now() + TimeDelta::days(30));
    assert!(!info.is_ca);
    assert!(info.is_valid_at(now()) && !info.is_valid_at(now() + TimeDelta::days(31)));

    let (critical, constraints) = extension::<BasicConstraints>(&leaf);
    assert!(critical && !constraints.ca);
    let (critical, usage) = extension::<KeyUsage>(&leaf);
    assert!(critical && usage.digital_signature() && usage.non_repudiation());
    assert!(!usage.key_cert_sign() && !usage.crl_sign() && !usage.key_encipherment());
    let (critical, purposes) = extension::<ExtendedKeyUsage>(&leaf);
    assert!(!critical);
    assert_eq!(
        purposes.0,
        vec![ID_KP_DOCUMENT_SIGNING, ID_KP_EMAIL_PROTECTION]
    );
    let (_, san) = extension::<SubjectAltName>(&leaf);
    assert!(matches!(&san.0[..], [GeneralName::Rfc822Name(email)] if email.to_string() == EMAIL));
    let (_, points) = extension::<CrlDistributionPoints>(&leaf);
    let [
        DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(names)),
            ..
        },
    ] = &points.0[..]
    else {
        panic!("one distribution point with a full name expected");
    };
    assert!(
        matches!(&names[..], [GeneralName::UniformResourceIdentifier(url)] if url.to_string() == CRL_URL)
    );
    let (_, aki) = extension::<AuthorityKeyIdentifier>(&leaf);
    assert_eq!(aki.key_identifier.unwrap().as_bytes(), ski(&ca.certificate));
    assert_ne!(ski(&leaf), ski(&ca.certificate));

    verify_issued_by(&leaf, &ca.certificate).unwrap();
}

#[test]
fn openssl_chains_signer_and_system_certificates_to_the_ca() {
    let ca = SoftwareCa::new("ca");
    let signer_public = signer_key("aisyah").public_key_der().unwrap();
    let system_public = signer_key("system").public_key_der().unwrap();
    let signer = ca.issue(&signer_request(NAME, PSEUDONYM, EMAIL, &signer_public));
    let system = ca.issue(&LeafRequest {
        subject: LeafSubject::System {
            email: Some("no-reply@esign.example.my"),
        },
        ..signer_request(NAME, "system", EMAIL, &system_public)
    });
    let system_info = CertificateInfo::of(&system).unwrap();
    assert_eq!(system_info.common_name.as_deref(), Some(SYSTEM_COMMON_NAME));
    assert_eq!(system_info.subject_serial, None);

    let openssl = Openssl::new();
    let ca_pem = openssl.write_certificate("ca.pem", &ca.certificate);
    for (file, leaf) in [("signer.pem", &signer), ("system.pem", &system)] {
        let leaf_pem = openssl.write_certificate(file, leaf);
        let at = attime(now());
        let verify = openssl.run(&["verify", "-attime", &at, "-CAfile", &ca_pem, &leaf_pem]);
        assert!(verify.ok, "{}", verify.output);
        assert!(verify.output.contains(": OK"), "{}", verify.output);
        // The same check after expiry must fail, so the OK above is not vacuous.
        let late = attime(now() + TimeDelta::days(31));
        let expired = openssl.run(&["verify", "-attime", &late, "-CAfile", &ca_pem, &leaf_pem]);
        assert!(!expired.ok, "{}", expired.output);
    }
    let text = openssl.run(&[
        "x509",
        "-in",
        &openssl.write_certificate("s.pem", &signer),
        "-noout",
        "-text",
    ]);
    assert!(text.ok);
    for expected in [
        "Digital Signature, Non Repudiation",
        "E-mail Protection",
        "email:aisyah@example.my",
        "URI:https://esign.example.my/crl",
        "CA:FALSE",
        "ecdsa-with-SHA256",
    ] {
        assert!(
            text.output.contains(expected),
            "missing {expected:?} in\n{}",
            text.output
        );
    }
}

#[test]
fn utf8_name_with_diacritics_round_trips_through_pem_der_and_openssl() {
    let ca = SoftwareCa::new("ca");
    let name = "José Ñúñez d'Almeida, Jr. + Ümit";
    let public_key = signer_key("jose").public_key_der().unwrap();
    let leaf = ca.issue(&signer_request(
        name,
        "A12345678",
        "jose@example.com",
        &public_key,
    ));

    let from_pem = certificate_from_pem(&certificate_to_pem(&leaf).unwrap()).unwrap();
    let from_der = certificate_from_der(&certificate_to_der(&leaf).unwrap()).unwrap();
    assert_eq!(from_pem, leaf);
    assert_eq!(from_der, leaf);
    assert_eq!(
        CertificateInfo::of(&from_pem)
            .unwrap()
            .common_name
            .as_deref(),
        Some(name)
    );

    let openssl = Openssl::new();
    let pem = openssl.write_certificate("leaf.pem", &leaf);
    let subject = openssl.run(&[
        "x509",
        "-in",
        &pem,
        "-noout",
        "-subject",
        "-nameopt",
        "utf8,sep_multiline",
    ]);
    assert!(subject.ok);
    assert!(subject.output.contains(name), "{}", subject.output);
}

#[test]
fn tampered_signature_or_tbs_fails_the_check() {
    let ca = SoftwareCa::new("ca");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    let leaf = ca.issue(&signer_request(NAME, PSEUDONYM, EMAIL, &public_key));
    let der = certificate_to_der(&leaf).unwrap();
    let issuer = IssuerKey::from_certificate(&ca.certificate).unwrap();
    verify_certificate_signature(&leaf, &issuer).unwrap();

    // The last byte is inside the signature's s value.
    let mut bad_signature = der.clone();
    *bad_signature.last_mut().unwrap() ^= 0x01;
    let tampered = certificate_from_der(&bad_signature).unwrap();
    assert!(matches!(
        verify_certificate_signature(&tampered, &issuer),
        Err(PkiError::BadSignature)
    ));

    // Flip one byte of the email address inside the TBS.
    let at = der
        .windows(EMAIL.len())
        .position(|w| w == EMAIL.as_bytes())
        .unwrap();
    let mut bad_tbs = der.clone();
    bad_tbs[at] ^= 0x20;
    let tampered = certificate_from_der(&bad_tbs).unwrap();
    assert!(matches!(
        verify_issued_by(&tampered, &ca.certificate),
        Err(PkiError::BadSignature)
    ));

    let other_ca = SoftwareCa::new("other ca");
    let other = IssuerKey::from_certificate(&other_ca.certificate).unwrap();
    assert!(matches!(
        verify_certificate_signature(&leaf, &other),
        Err(PkiError::BadSignature)
    ));

    let openssl = Openssl::new();
    let ca_pem = openssl.write_certificate("ca.pem", &ca.certificate);
    let leaf_pem =
        openssl.write_certificate("bad.pem", &certificate_from_der(&bad_signature).unwrap());
    let verify = openssl.run(&[
        "verify",
        "-attime",
        &attime(now()),
        "-CAfile",
        &ca_pem,
        &leaf_pem,
    ]);
    assert!(!verify.ok, "{}", verify.output);
}

#[test]
fn finish_refuses_a_signature_from_the_wrong_key_or_garbage() {
    let ca = SoftwareCa::new("ca");
    let intruder = SoftwareCa::new("intruder");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    let request = signer_request(NAME, PSEUDONYM, EMAIL, &public_key);

    let pending = prepare_leaf_certificate(&ca.certificate, &request).unwrap();
    let wrong = intruder.sign(pending.tbs());
    assert!(matches!(
        pending.finish(&wrong),
        Err(PkiError::BadSignature)
    ));

    let pending = prepare_leaf_certificate(&ca.certificate, &request).unwrap();
    assert!(matches!(
        pending.finish(b"not a signature"),
        Err(PkiError::MalformedSignature)
    ));
}

#[test]
fn serials_are_positive_and_carry_all_sixteen_random_bytes() {
    let ca = SoftwareCa::new("ca");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    for (label, random) in [
        ("high bit", [0xffu8; 16]),
        ("seeded", seeded::<16>("x")),
        ("low", {
            let mut r = [0u8; 16];
            r[0] = 0x01;
            r
        }),
    ] {
        let leaf = ca.issue(&LeafRequest {
            serial_random: random,
            ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
        });
        let serial = leaf.tbs_certificate().serial_number();
        let der = serial.to_der().unwrap();
        // INTEGER content: positive means the first content octet has its top bit clear.
        assert_eq!(der[0], 0x02, "{label}");
        assert_eq!(der[2] & 0x80, 0, "{label}: negative serial");
        assert_eq!(
            CertificateInfo::of(&leaf).unwrap().serial_hex,
            hex::encode(random),
            "{label}"
        );
        let reparsed =
            x509_cert::serial_number::SerialNumber::<x509_cert::certificate::Rfc5280>::from_der(
                &der,
            )
            .unwrap();
        assert_eq!(&reparsed, serial);
    }
    let zero = LeafRequest {
        serial_random: [0; 16],
        ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
    };
    let error = prepare_leaf_certificate(&ca.certificate, &zero).unwrap_err();
    assert!(matches!(
        error,
        PkiError::InvalidInput {
            field: Field::Serial,
            ..
        }
    ));
}

#[test]
fn bad_inputs_are_typed_errors_that_do_not_echo_the_value() {
    let ca = SoftwareCa::new("ca");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    let long_name = "A".repeat(65);
    let cases: [(LeafRequest<'_>, Field); 6] = [
        (
            signer_request("", PSEUDONYM, EMAIL, &public_key),
            Field::CommonName,
        ),
        (
            signer_request(&long_name, PSEUDONYM, EMAIL, &public_key),
            Field::CommonName,
        ),
        (
            signer_request(NAME, "HIMS_7Q2K*X4MZ", EMAIL, &public_key),
            Field::SubjectSerial,
        ),
        (
            signer_request(NAME, PSEUDONYM, "aisyah at example.my", &public_key),
            Field::Email,
        ),
        (
            LeafRequest {
                crl_url: "ftp://host/crl",
                ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
            },
            Field::CrlUrl,
        ),
        (
            LeafRequest {
                subject: LeafSubject::Signer {
                    name: NAME,
                    pseudonym: PSEUDONYM,
                    email: EMAIL,
                    country: Some("my"),
                },
                ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
            },
            Field::Country,
        ),
    ];
    for (request, field) in cases {
        assert!(!format!("{request:?}").contains(NAME), "{request:?}");
        let error = prepare_leaf_certificate(&ca.certificate, &request).unwrap_err();
        assert!(
            matches!(error, PkiError::InvalidInput { field: f, .. } if f == field),
            "{error:?}"
        );
        assert!(!error.to_string().contains("HIMS_7Q2K"), "{error}");
    }

    let expired = LeafRequest {
        not_after: now(),
        ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
    };
    assert!(matches!(
        prepare_leaf_certificate(&ca.certificate, &expired),
        Err(PkiError::InvalidValidity)
    ));
    let outlives_ca = LeafRequest {
        not_after: now() + chrono::TimeDelta::days(365 * 21),
        ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
    };
    assert!(matches!(
        prepare_leaf_certificate(&ca.certificate, &outlives_ca),
        Err(PkiError::InvalidValidity)
    ));
    let not_a_key = LeafRequest {
        public_key_der: b"junk",
        ..signer_request(NAME, PSEUDONYM, EMAIL, &public_key)
    };
    assert!(matches!(
        prepare_leaf_certificate(&ca.certificate, &not_a_key),
        Err(PkiError::InvalidPublicKey)
    ));
    assert!(matches!(
        prepare_ca_certificate(b"junk", [1; 16], now()),
        Err(PkiError::InvalidPublicKey)
    ));
    assert!(certificate_from_der(b"\x30\x03\x02\x01\x01").is_err());
    assert!(
        certificate_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .is_err()
    );
}

#[test]
fn high_s_signatures_as_kms_returns_them_are_accepted() {
    let ca = SoftwareCa::new("ca");
    let public_key = signer_key("aisyah").public_key_der().unwrap();
    let openssl = Openssl::new();
    let ca_pem = openssl.write_certificate("ca.pem", &ca.certificate);
    let pending = prepare_leaf_certificate(
        &ca.certificate,
        &signer_request(NAME, PSEUDONYM, EMAIL, &public_key),
    )
    .unwrap();
    let low = p256::ecdsa::Signature::from_der(&ca.sign(pending.tbs())).unwrap();
    let flipped =
        p256::ecdsa::Signature::from_scalars(low.r().to_bytes(), (-*low.s()).to_bytes()).unwrap();
    assert_ne!(low.s().to_bytes(), flipped.s().to_bytes());

    let leaf = pending.finish(&flipped.to_der().to_bytes()).unwrap();
    verify_issued_by(&leaf, &ca.certificate).unwrap();
    let leaf_pem = openssl.write_certificate("leaf.pem", &leaf);
    let verify = openssl.run(&[
        "verify",
        "-attime",
        &attime(now()),
        "-CAfile",
        &ca_pem,
        &leaf_pem,
    ]);
    assert!(verify.ok, "{}", verify.output);
}

#[test]
fn pending_objects_can_be_held_across_an_await() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<hims_pki::PendingCertificate>();
    assert_send_sync::<hims_pki::PendingCrl>();
    assert_send_sync::<hims_pki::SignerKeyPair>();
}
