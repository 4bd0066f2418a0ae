//! [`SoftwareKeys`]: the `Keys` port with key files in the data folder.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::files;
use crate::ports::{EncryptionContext, KeyError, Keys, Rng};

const CA_FILE: &str = "ca.p256.pk8";
const TSA_FILE: &str = "tsa.p256.pk8";
const ENC_FILE: &str = "enc.key";
const MAC_FILE: &str = "mac.key";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The system keys as files in `<data_dir>/keys/` (folder 0700, files 0600,
/// both created with their mode): `ca.p256.pk8` and `tsa.p256.pk8` (the CA's
/// and the timestamp authority's P-256 keys, PKCS#8 DER), `enc.key` (AES-256-GCM) and `mac.key` (HMAC-SHA256), 32 raw bytes
/// each. Missing keys are made on first open from the given random source;
/// key files that others may read are refused.
pub struct SoftwareKeys {
    ca: SystemKey,
    tsa: SystemKey,
    enc: Aes256Gcm,
    mac_key: Zeroizing<[u8; 32]>,
    rng: Arc<dyn Rng>,
}

impl SoftwareKeys {
    pub fn open_in_dir(data_dir: &Path, rng: Arc<dyn Rng>) -> Result<Self, KeyError> {
        let dir = data_dir.join("keys");
        files::create_dir(&dir, 0o700).map_err(unavailable)?;

        let ca_der = load_or_create(&dir.join(CA_FILE), || new_p256_key(&*rng))?;
        let ca = SystemKey::from_pkcs8(&ca_der, CA_FILE)?;
        let tsa_der = load_or_create(&dir.join(TSA_FILE), || new_p256_key(&*rng))?;
        let tsa = SystemKey::from_pkcs8(&tsa_der, TSA_FILE)?;
        let enc_key = load_or_create(&dir.join(ENC_FILE), || Ok(random_key(&*rng)))?;
        let enc = Aes256Gcm::new_from_slice(&enc_key).map_err(|_| malformed(ENC_FILE))?;
        let mac_bytes = load_or_create(&dir.join(MAC_FILE), || Ok(random_key(&*rng)))?;
        let mac_key = Zeroizing::new(
            <[u8; 32]>::try_from(mac_bytes.as_slice()).map_err(|_| malformed(MAC_FILE))?,
        );
        Ok(Self {
            ca,
            tsa,
            enc,
            mac_key,
            rng,
        })
    }

    fn hmac(&self, message: &[u8]) -> Result<Hmac<Sha256>, KeyError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&*self.mac_key)
            .map_err(|_| malformed(MAC_FILE))?;
        mac.update(message);
        Ok(mac)
    }
}

fn unavailable(e: io::Error) -> KeyError {
    KeyError::Unavailable(e.to_string())
}

fn malformed(file: &str) -> KeyError {
    KeyError::Unavailable(format!("key file {file} is malformed"))
}

fn random_key(rng: &dyn Rng) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(vec![0; 32]);
    rng.fill(&mut key);
    key
}

fn new_p256_key(rng: &dyn Rng) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    // A random 32-byte string is a valid scalar unless it is 0 or ≥ the group
    // order (chance about 2^-32), so a few tries always suffice.
    for _ in 0..8 {
        let mut scalar = Zeroizing::new([0; 32]);
        rng.fill(&mut *scalar);
        if let Ok(key) = SigningKey::from_slice(&*scalar) {
            let der = key
                .to_pkcs8_der()
                .map_err(|_| KeyError::Unavailable("cannot encode a P-256 key".into()))?;
            return Ok(Zeroizing::new(der.as_bytes().to_vec()));
        }
    }
    Err(KeyError::Unavailable(
        "the random source gave no valid P-256 key".into(),
    ))
}

/// Reads the key file at `path`, or writes a new one made by `make` (mode 0600)
/// when there is none.
fn load_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, KeyError>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if !path.exists() {
        let key = make()?;
        if files::write_new(path, &key, 0o600).map_err(unavailable)? {
            return Ok(key);
        }
        // Another process made it first: use theirs.
    }
    let mode = std::fs::metadata(path)
        .map_err(unavailable)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(KeyError::Unavailable(format!(
            "key file {name} may be read by others (mode {:o})",
            mode & 0o777
        )));
    }
    std::fs::read(path).map(Zeroizing::new).map_err(unavailable)
}

/// A system P-256 key: signed with by aws-lc-rs (several times faster than `p256`; the nonce
/// is random, as KMS's is), its SubjectPublicKeyInfo encoded once.
struct SystemKey {
    pair: EcdsaKeyPair,
    public_key_der: Vec<u8>,
}

impl SystemKey {
    fn from_pkcs8(der: &[u8], file: &str) -> Result<Self, KeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
            .map_err(|_| malformed(file))?;
        let public_key_der = SigningKey::from_pkcs8_der(der)
            .map_err(|_| malformed(file))?
            .verifying_key()
            .to_public_key_der()
            .map_err(|_| KeyError::Unavailable("cannot encode a public key".into()))?
            .as_bytes()
            .to_vec();
        Ok(Self {
            pair,
            public_key_der,
        })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| KeyError::Unavailable("ECDSA signing failed".into()))
    }
}

fn aad(context: &EncryptionContext) -> Result<Vec<u8>, KeyError> {
    // A BTreeMap serialises its entries in key order: one context, one encoding.
    serde_json::to_vec(context).map_err(|e| KeyError::Unavailable(e.to_string()))
}

#[async_trait]
impl Keys for SoftwareKeys {
    async fn ca_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.ca.sign(message)
    }

    async fn ca_public_key(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.ca.public_key_der.clone())
    }

    async fn tsa_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.tsa.sign(message)
    }

    async fn tsa_public_key(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.tsa.public_key_der.clone())
    }

    async fn encrypt(
        &self,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KeyError> {
        let aad = aad(context)?;
        let nonce = self.rng.bytes::<NONCE_LEN>();
        let sealed = self
            .enc
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Unavailable("encryption failed".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if ciphertext.len() < NONCE_LEN + TAG_LEN {
            return Err(KeyError::DecryptFailed);
        }
        let (nonce, sealed) = ciphertext.split_at(NONCE_LEN);
        let nonce = <[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| KeyError::DecryptFailed)?;
        let aad = aad(context)?;
        let plaintext = self.enc.decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: sealed,
                aad: &aad,
            },
        );
        plaintext
            .map(Zeroizing::new)
            .map_err(|_| KeyError::DecryptFailed)
    }

    async fn mac(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ok(self.hmac(message)?.finalize().into_bytes().to_vec())
    }

    async fn verify_mac(&self, message: &[u8], tag: &[u8]) -> Result<bool, KeyError> {
        // `verify_slice` compares in constant time.
        Ok(self.hmac(message)?.verify_slice(tag).is_ok())
    }
}
