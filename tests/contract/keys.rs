//! The `Keys` contract: CA signatures, context-bound encryption, MACs.

use hims_esign::ports::{EncryptionContext, KeyError, Keys};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;

use super::Fixture;

/// One test per check below, on a fresh fixture from `$make`
/// (an `async fn() -> Fixture<dyn Keys>`, given as a `crate::` path).
#[macro_export]
macro_rules! keys_contract_tests {
    ($make:path) => {
        $crate::contract_tests!(
            keys,
            $make,
            [
                ca_signature_verifies_with_the_public_key,
                tsa_key_signs_and_is_not_the_ca_key,
                encrypt_decrypt_round_trip,
                encryption_is_randomised,
                decrypt_under_another_context_fails,
                tampered_ciphertext_fails,
                mac_verifies_only_its_own_message,
            ]
        );
    };
}

fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn party_context() -> EncryptionContext {
    context(&[("party", "P-1"), ("certificate", "C-9")])
}

async fn decrypt_fails(keys: &dyn Keys, ciphertext: &[u8], context: &EncryptionContext) -> bool {
    matches!(
        keys.decrypt(ciphertext, context).await,
        Err(KeyError::DecryptFailed)
    )
}

pub async fn ca_signature_verifies_with_the_public_key(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    let spki = keys.ca_public_key().await.expect("public key");
    assert_eq!(
        keys.ca_public_key().await.expect("public key"),
        spki,
        "one CA key"
    );
    let public = VerifyingKey::from_public_key_der(&spki).expect("SPKI DER of a P-256 key");

    let message = b"tbsCertificate bytes".repeat(50);
    let der = keys.ca_sign(&message).await.expect("sign");
    let signature = Signature::from_der(&der).expect("DER ECDSA signature");
    assert!(public.verify(&message, &signature).is_ok());
    assert!(public.verify(b"another message", &signature).is_err());
}

pub async fn tsa_key_signs_and_is_not_the_ca_key(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    let spki = keys.tsa_public_key().await.expect("TSA public key");
    assert_eq!(
        keys.tsa_public_key().await.expect("again"),
        spki,
        "one TSA key"
    );
    assert_ne!(
        keys.ca_public_key().await.expect("CA public key"),
        spki,
        "the TSA key is separate from the CA key"
    );
    let public = VerifyingKey::from_public_key_der(&spki).expect("SPKI DER of a P-256 key");
    let message = b"signed attributes of a TSTInfo".to_vec();
    let der = keys.tsa_sign(&message).await.expect("sign");
    let signature = Signature::from_der(&der).expect("DER ECDSA signature");
    assert!(public.verify(&message, &signature).is_ok());
    let ca_der = keys.ca_sign(&message).await.expect("CA sign");
    let ca_signature = Signature::from_der(&ca_der).expect("DER");
    assert!(public.verify(&message, &ca_signature).is_err());
}

pub async fn encrypt_decrypt_round_trip(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    for (plaintext, context) in [
        (b"signer private key (PKCS#8)".to_vec(), party_context()),
        (vec![0_u8; 1000], party_context()),
        (b"x".to_vec(), EncryptionContext::new()),
    ] {
        let sealed = keys.encrypt(&plaintext, &context).await.expect("encrypt");
        if plaintext.len() >= 16 {
            assert!(
                !sealed.windows(plaintext.len()).any(|w| w == plaintext),
                "plaintext visible"
            );
        }
        let opened = keys.decrypt(&sealed, &context).await.expect("decrypt");
        assert_eq!(opened.as_slice(), plaintext.as_slice());
    }
}

pub async fn encryption_is_randomised(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    let first = keys
        .encrypt(b"same", &party_context())
        .await
        .expect("encrypt");
    let second = keys
        .encrypt(b"same", &party_context())
        .await
        .expect("encrypt");
    assert_ne!(first, second);
}

pub async fn decrypt_under_another_context_fails(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    let sealed = keys
        .encrypt(b"secret", &party_context())
        .await
        .expect("encrypt");
    for other in [
        context(&[("party", "P-2"), ("certificate", "C-9")]),
        context(&[("party", "P-1")]),
        context(&[("party", "P-1"), ("certificate", "C-9"), ("extra", "1")]),
        context(&[("party", "P-1"), ("certificate", "C-9 ")]),
        EncryptionContext::new(),
    ] {
        assert!(
            decrypt_fails(keys, &sealed, &other).await,
            "decrypted under {other:?}"
        );
    }
    assert!(keys.decrypt(&sealed, &party_context()).await.is_ok());
}

pub async fn tampered_ciphertext_fails(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    let context = party_context();
    let sealed = keys
        .encrypt(b"secret signer key", &context)
        .await
        .expect("encrypt");
    for position in [0, sealed.len() / 2, sealed.len() - 1] {
        let mut flipped = sealed.clone();
        flipped[position] ^= 0x01;
        assert!(
            decrypt_fails(keys, &flipped, &context).await,
            "byte {position} flipped"
        );
    }
    assert!(
        decrypt_fails(keys, &sealed[..sealed.len() - 1], &context).await,
        "truncated"
    );
    assert!(decrypt_fails(keys, b"", &context).await, "empty");
}

pub async fn mac_verifies_only_its_own_message(f: &Fixture<dyn Keys>) {
    let keys = &*f.port;
    let tag = keys.mac(b"link token").await.expect("mac");
    assert_eq!(tag.len(), 32, "HMAC-SHA256");
    assert_eq!(
        keys.mac(b"link token").await.expect("mac"),
        tag,
        "deterministic"
    );
    assert_ne!(keys.mac(b"link tokem").await.expect("mac"), tag);

    assert!(keys.verify_mac(b"link token", &tag).await.expect("verify"));
    assert!(!keys.verify_mac(b"link tokem", &tag).await.expect("verify"));
    let mut flipped = tag.clone();
    flipped[31] ^= 0x80;
    assert!(
        !keys
            .verify_mac(b"link token", &flipped)
            .await
            .expect("verify")
    );
    assert!(
        !keys
            .verify_mac(b"link token", &tag[..16])
            .await
            .expect("verify")
    );
    assert!(!keys.verify_mac(b"link token", b"").await.expect("verify"));
}
