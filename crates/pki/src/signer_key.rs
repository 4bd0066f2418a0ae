//! The per-signer P-256 key pair, generated from caller-supplied randomness.

use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use signature::Signer;
use spki::EncodePublicKey;
use zeroize::Zeroizing;

use crate::error::{PkiError, Result};

/// Attempts [`SignerKeyPair::generate`] makes before blaming the random source.
/// One draw fails with probability about 2^-32, so 8 failures in a row mean
/// the source is broken (e.g. returns zeros), not bad luck.
pub const MAX_KEY_ATTEMPTS: usize = 8;

/// A signer's private key. Its bytes leave only as PKCS#8 in a zeroizing buffer,
/// to be encrypted at once (see `Keys::encrypt`).
#[derive(Clone)]
pub struct SignerKeyPair(SigningKey);

impl std::fmt::Debug for SignerKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignerKeyPair(..)")
    }
}

impl SignerKeyPair {
    /// The key whose private scalar is `random` read big-endian.
    ///
    /// Retry rule: the scalar must lie in 1..n-1 (n the P-256 group order,
    /// just below 2^256). Values outside are refused with
    /// [`PkiError::ScalarOutOfRange`] and the caller draws 32 fresh bytes;
    /// rejection keeps the key uniform, whereas reducing mod n would not.
    pub fn from_random_bytes(random: &[u8; 32]) -> Result<Self> {
        SigningKey::from_slice(random)
            .map(Self)
            .map_err(|_| PkiError::ScalarOutOfRange)
    }

    /// Draws from `fill` (e.g. `|buf| rng.fill(buf)`) until a valid scalar
    /// comes out, at most [`MAX_KEY_ATTEMPTS`] times.
    pub fn generate(mut fill: impl FnMut(&mut [u8])) -> Result<Self> {
        let mut random = Zeroizing::new([0u8; 32]);
        for _ in 0..MAX_KEY_ATTEMPTS {
            fill(random.as_mut_slice());
            match Self::from_random_bytes(&random) {
                Err(PkiError::ScalarOutOfRange) => continue,
                other => return other,
            }
        }
        Err(PkiError::RandomSourceFailed(MAX_KEY_ATTEMPTS))
    }

    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let document = self
            .0
            .to_pkcs8_der()
            .map_err(|_| PkiError::InvalidPrivateKey)?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }

    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        SigningKey::from_pkcs8_der(der)
            .map(Self)
            .map_err(|_| PkiError::InvalidPrivateKey)
    }

    /// The public key as SubjectPublicKeyInfo DER (for the certificate request).
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        let document = self
            .0
            .verifying_key()
            .to_public_key_der()
            .map_err(|_| PkiError::InvalidPublicKey)?;
        Ok(document.into_vec())
    }

    /// ECDSA P-256 / SHA-256 over `message`, DER-encoded (deterministic, RFC 6979).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.0.sign(message);
        signature.to_bytes().into_vec()
    }

    /// The underlying key, for CMS builders that want a `signature::Signer`.
    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}
