//! `Keys` on KMS: the CA and TSA keys (ECC_NIST_P256, SIGN_VERIFY), the data key
//! (SYMMETRIC_DEFAULT) and the MAC key (HMAC_256). No key material leaves KMS.

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::operation::decrypt::DecryptError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::describe;
use crate::ports::{EncryptionContext, KeyError, Keys};

/// KMS accepts at most this many bytes as a RAW message to sign or MAC.
const MAX_RAW_MESSAGE: usize = 4096;
const HMAC_SHA256_LEN: usize = 32;

/// Key ids or ARNs (aliases work too) of the four keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKeyIds {
    pub ca: String,
    pub tsa: String,
    pub data: String,
    pub mac: String,
}

pub struct KmsKeys {
    client: Client,
    ids: KmsKeyIds,
    ca_public_key: OnceCell<Vec<u8>>,
    tsa_public_key: OnceCell<Vec<u8>>,
}

fn unavailable<E, R>(err: aws_sdk_kms::error::SdkError<E, R>) -> KeyError
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    KeyError::Unavailable(describe(&err))
}

fn context_map(context: &EncryptionContext) -> Option<std::collections::HashMap<String, String>> {
    (!context.is_empty()).then(|| {
        context
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

/// Whether Decrypt failed because of the ciphertext, not the service. A blob
/// whose header names no usable key gets AccessDenied ("The ciphertext refers
/// to a customer master key that does not exist…"; moto sends no message); an
/// IAM or key-policy denial ("… is not authorized to perform …") stays
/// `Unavailable`, so a broken deployment is not mistaken for a bad ciphertext.
fn is_bad_ciphertext(err: &DecryptError) -> bool {
    err.is_invalid_ciphertext_exception()
        || err.is_incorrect_key_exception()
        || (err.code() == Some("AccessDeniedException")
            && !err.message().is_some_and(|m| m.contains("not authorized")))
}

impl KmsKeys {
    pub fn new(client: Client, ids: KmsKeyIds) -> Self {
        Self {
            client,
            ids,
            ca_public_key: OnceCell::new(),
            tsa_public_key: OnceCell::new(),
        }
    }

    /// Creates the four keys, for tests and development.
    pub async fn create_keys(client: &Client) -> Result<KmsKeyIds, KeyError> {
        let create = |spec: KeySpec, usage: KeyUsageType, description: &'static str| async move {
            let output = client
                .create_key()
                .key_spec(spec)
                .key_usage(usage)
                .description(description)
                .send()
                .await
                .map_err(unavailable)?;
            output
                .key_metadata
                .map(|m| m.key_id)
                .ok_or_else(|| KeyError::Unavailable("CreateKey returned no key id".to_owned()))
        };
        Ok(KmsKeyIds {
            ca: create(
                KeySpec::EccNistP256,
                KeyUsageType::SignVerify,
                "hims-esign CA",
            )
            .await?,
            tsa: create(
                KeySpec::EccNistP256,
                KeyUsageType::SignVerify,
                "hims-esign TSA",
            )
            .await?,
            data: create(
                KeySpec::SymmetricDefault,
                KeyUsageType::EncryptDecrypt,
                "hims-esign data",
            )
            .await?,
            mac: create(
                KeySpec::Hmac256,
                KeyUsageType::GenerateVerifyMac,
                "hims-esign MAC",
            )
            .await?,
        })
    }

    async fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        // KMS takes a RAW message up to 4 KiB; beyond that (a long CRL) it takes
        // the SHA-256 digest. (moto hashes a DIGEST again, so only the RAW path
        // is tested there.)
        let (message_type, payload) = if message.len() <= MAX_RAW_MESSAGE {
            (MessageType::Raw, message.to_vec())
        } else {
            (MessageType::Digest, Sha256::digest(message).to_vec())
        };
        let output = self
            .client
            .sign()
            .key_id(key_id)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .message_type(message_type)
            .message(Blob::new(payload))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .signature
            .map(Blob::into_inner)
            .ok_or_else(|| KeyError::Unavailable("Sign returned no signature".to_owned()))
    }

    async fn public_key(
        &self,
        cell: &OnceCell<Vec<u8>>,
        key_id: &str,
    ) -> Result<Vec<u8>, KeyError> {
        let key = cell
            .get_or_try_init(|| async {
                let output = self
                    .client
                    .get_public_key()
                    .key_id(key_id)
                    .send()
                    .await
                    .map_err(unavailable)?;
                output
                    .public_key
                    .map(Blob::into_inner)
                    .ok_or_else(|| KeyError::Unavailable("GetPublicKey returned no key".to_owned()))
            })
            .await?;
        Ok(key.clone())
    }
}

#[async_trait]
impl Keys for KmsKeys {
    async fn ca_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign(&self.ids.ca, message).await
    }

    async fn ca_public_key(&self) -> Result<Vec<u8>, KeyError> {
        self.public_key(&self.ca_public_key, &self.ids.ca).await
    }

    async fn tsa_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign(&self.ids.tsa, message).await
    }

    async fn tsa_public_key(&self) -> Result<Vec<u8>, KeyError> {
        self.public_key(&self.tsa_public_key, &self.ids.tsa).await
    }

    async fn encrypt(
        &self,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KeyError> {
        let output = self
            .client
            .encrypt()
            .key_id(&self.ids.data)
            .plaintext(Blob::new(plaintext))
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| KeyError::Unavailable("Encrypt returned no ciphertext".to_owned()))
    }

    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        // KMS refuses an empty blob as a malformed request; it is just not a ciphertext.
        if ciphertext.is_empty() {
            return Err(KeyError::DecryptFailed);
        }
        let output = self
            .client
            .decrypt()
            .key_id(&self.ids.data)
            .ciphertext_blob(Blob::new(ciphertext))
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(s) if is_bad_ciphertext(s) => KeyError::DecryptFailed,
                _ => unavailable(e),
            })?;
        output
            .plaintext
            .map(|p| Zeroizing::new(p.into_inner()))
            .ok_or_else(|| KeyError::Unavailable("Decrypt returned no plaintext".to_owned()))
    }

    async fn mac(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let output = self
            .client
            .generate_mac()
            .key_id(&self.ids.mac)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(message))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .mac
            .map(Blob::into_inner)
            .ok_or_else(|| KeyError::Unavailable("GenerateMac returned no MAC".to_owned()))
    }

    /// KMS compares the tags; a tag of the wrong length cannot be valid and
    /// is refused without a call (KMS would reject it as a bad request).
    async fn verify_mac(&self, message: &[u8], tag: &[u8]) -> Result<bool, KeyError> {
        if tag.len() != HMAC_SHA256_LEN {
            return Ok(false);
        }
        let result = self
            .client
            .verify_mac()
            .key_id(&self.ids.mac)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(message))
            .mac(Blob::new(tag))
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.mac_valid),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_kms_invalid_mac_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
