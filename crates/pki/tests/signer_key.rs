mod common;

use common::seeded;
use hims_pki::{IssuerKey, MAX_KEY_ATTEMPTS, PkiError, SignerKeyPair};

/// The P-256 group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

#[test]
fn scalars_outside_one_to_n_minus_one_are_refused() {
    let mut n_minus_one = ORDER;
    n_minus_one[31] -= 1;
    assert!(SignerKeyPair::from_random_bytes(&n_minus_one).is_ok());
    for bad in [[0u8; 32], ORDER, [0xff; 32]] {
        assert!(matches!(
            SignerKeyPair::from_random_bytes(&bad),
            Err(PkiError::ScalarOutOfRange)
        ));
    }
}

#[test]
fn generate_retries_out_of_range_draws_and_gives_up_on_a_broken_source() {
    let good = seeded::<32>("good");
    let mut draws = 0;
    let key = SignerKeyPair::generate(|buf| {
        draws += 1;
        buf.copy_from_slice(if draws < 3 { &[0xff; 32] } else { &good });
    })
    .unwrap();
    assert_eq!(draws, 3);
    let expected = SignerKeyPair::from_random_bytes(&good).unwrap();
    assert_eq!(
        key.public_key_der().unwrap(),
        expected.public_key_der().unwrap()
    );

    let mut calls = 0;
    let result = SignerKeyPair::generate(|buf| {
        calls += 1;
        buf.fill(0);
    });
    assert!(matches!(result, Err(PkiError::RandomSourceFailed(n)) if n == MAX_KEY_ATTEMPTS));
    assert_eq!(calls, MAX_KEY_ATTEMPTS);
}

#[test]
fn pkcs8_round_trip_keeps_the_key_and_signatures_verify() {
    let key = SignerKeyPair::from_random_bytes(&seeded("k")).unwrap();
    let pkcs8 = key.to_pkcs8_der().unwrap();
    let restored = SignerKeyPair::from_pkcs8_der(&pkcs8).unwrap();
    assert_eq!(
        restored.public_key_der().unwrap(),
        key.public_key_der().unwrap()
    );

    let public = IssuerKey::from_spki_der(&key.public_key_der().unwrap()).unwrap();
    let signature = restored.sign(b"document digest input");
    public.verify(b"document digest input", &signature).unwrap();
    assert!(matches!(
        public.verify(b"another document", &signature),
        Err(PkiError::BadSignature)
    ));

    assert!(matches!(
        SignerKeyPair::from_pkcs8_der(&pkcs8[..pkcs8.len() - 1]),
        Err(PkiError::InvalidPrivateKey)
    ));
    assert_eq!(format!("{key:?}"), "SignerKeyPair(..)");
}

#[test]
fn different_random_bytes_give_different_keys() {
    let a = SignerKeyPair::from_random_bytes(&seeded("a")).unwrap();
    let b = SignerKeyPair::from_random_bytes(&seeded("b")).unwrap();
    assert_ne!(a.public_key_der().unwrap(), b.public_key_der().unwrap());
}
