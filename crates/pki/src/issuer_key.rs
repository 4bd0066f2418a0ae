//! The CA's public key, the only part of the CA key this crate ever holds.
//! It stands in for the signer in the x509-cert builders (which only need the
//! public key and the algorithm) and checks signatures made by KMS.

use der::Encode;
use p256::ecdsa::{DerSignature, VerifyingKey};
use signature::{Keypair, Verifier};
use spki::{
    AlgorithmIdentifierOwned, DecodePublicKey, DynSignatureAlgorithmIdentifier, EncodePublicKey,
};
use x509_cert::Certificate;

use crate::error::{PkiError, Result};

/// A P-256 public key that issues certificates and CRLs (ECDSA with SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey(VerifyingKey);

impl IssuerKey {
    /// From SubjectPublicKeyInfo DER, as KMS `GetPublicKey` returns it.
    pub fn from_spki_der(spki_der: &[u8]) -> Result<Self> {
        VerifyingKey::from_public_key_der(spki_der)
            .map(Self)
            .map_err(|_| PkiError::InvalidPublicKey)
    }

    /// The subject public key of a (CA) certificate.
    pub fn from_certificate(certificate: &Certificate) -> Result<Self> {
        let spki_der = certificate
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()?;
        Self::from_spki_der(&spki_der)
    }

    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        Ok(self
            .0
            .to_public_key_der()
            .map_err(|_| PkiError::InvalidPublicKey)?
            .into_vec())
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// Checks a DER ECDSA signature over `message` (hashed with SHA-256 here).
    /// High-S signatures are accepted: KMS does not normalise them.
    pub fn verify(&self, message: &[u8], signature_der: &[u8]) -> Result<()> {
        self.verify_canonical(message, signature_der).map(drop)
    }

    /// Like [`Self::verify`], returning the signature re-encoded in strict DER,
    /// which is what goes into a certificate or CRL.
    pub(crate) fn verify_canonical(&self, message: &[u8], signature_der: &[u8]) -> Result<Vec<u8>> {
        let signature =
            DerSignature::from_bytes(signature_der).map_err(|_| PkiError::MalformedSignature)?;
        self.0
            .verify(message, &signature)
            .map_err(|_| PkiError::BadSignature)?;
        Ok(signature.to_bytes().into_vec())
    }

    /// Checks an X.509 `signatureAlgorithm` + signature BIT STRING pair.
    pub(crate) fn verify_signed_structure(
        &self,
        tbs_der: &[u8],
        algorithm: &AlgorithmIdentifierOwned,
        signature: &der::asn1::BitString,
    ) -> Result<()> {
        if algorithm.oid != const_oid::db::rfc5912::ECDSA_WITH_SHA_256
            || algorithm.parameters.is_some()
        {
            return Err(PkiError::UnsupportedAlgorithm);
        }
        let signature_der = signature.as_bytes().ok_or(PkiError::MalformedSignature)?;
        self.verify(tbs_der, signature_der)
    }
}

impl Keypair for IssuerKey {
    type VerifyingKey = VerifyingKey;

    fn verifying_key(&self) -> VerifyingKey {
        self.0
    }
}

impl DynSignatureAlgorithmIdentifier for IssuerKey {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        self.0.signature_algorithm_identifier()
    }
}
