//! The /ByteRange and /Contents placeholders of a signature or document timestamp dictionary:
//! written blank, then the byte range filled in, the covered bytes hashed, and the DER blob
//! written into the reserved hex string.

use sha2::{Digest, Sha256};

use crate::PdfError;

/// Room for "0 a b c" with offsets of up to ten digits each.
const BYTE_RANGE_SLOT: usize = 40;

/// `/ByteRange[…]/Contents<…>` with `reserved` bytes of room, to end a dictionary body.
pub(crate) fn entries(reserved: usize) -> String {
    format!(
        "/ByteRange[{}]/Contents<{}>",
        " ".repeat(BYTE_RANGE_SLOT),
        "0".repeat(reserved * 2),
    )
}

/// Where the placeholders of one written dictionary lie in the output file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slots {
    byte_range_at: usize,
    /// The `<` of /Contents.
    contents_at: usize,
    reserved: usize,
}

impl Slots {
    /// Locates the placeholders in `body`, written at `body_offset` of the file.
    pub(crate) fn locate(
        body: &str,
        body_offset: usize,
        reserved: usize,
    ) -> Result<Self, PdfError> {
        let find = |needle: &str| {
            body.find(needle)
                .map(|at| body_offset + at + needle.len())
                .ok_or_else(|| PdfError::Malformed("signature placeholder missing".into()))
        };
        Ok(Self {
            byte_range_at: find("/ByteRange[")?,
            contents_at: find("/Contents")?,
            reserved,
        })
    }

    fn contents_end(&self) -> usize {
        self.contents_at + self.reserved * 2 + 2
    }

    /// Writes the /ByteRange of the finished file `out` and returns the SHA-256 it covers,
    /// with the hash state after the bytes before /Contents: the start of the whole file's hash.
    pub(crate) fn fill_byte_range(&self, out: &mut [u8]) -> Result<([u8; 32], Sha256), PdfError> {
        let end = self.contents_end();
        let text = format!("0 {} {} {}", self.contents_at, end, out.len() - end);
        let slot = out
            .get_mut(self.byte_range_at..self.byte_range_at + BYTE_RANGE_SLOT)
            .ok_or_else(|| PdfError::Malformed("byte range slot".into()))?;
        slot[..text.len()].copy_from_slice(text.as_bytes());
        let mut hasher = Sha256::new();
        hasher.update(&out[..self.contents_at]);
        let prefix = hasher.clone();
        hasher.update(&out[end..]);
        Ok((hasher.finalize().into(), prefix))
    }

    /// The SHA-256 of the finished file `out`, from the state after the bytes before /Contents.
    pub(crate) fn file_sha256(&self, out: &[u8], mut prefix: Sha256) -> [u8; 32] {
        prefix.update(&out[self.contents_at..]);
        prefix.finalize().into()
    }

    /// Writes `der` as upper-case hex into /Contents (the rest stays zero padding).
    pub(crate) fn write_contents(&self, out: &mut [u8], der: &[u8]) -> Result<(), PdfError> {
        if der.len() > self.reserved {
            return Err(PdfError::SignatureTooLarge {
                needed: der.len(),
                reserved: self.reserved,
            });
        }
        let hex = hex::encode_upper(der);
        out[self.contents_at + 1..self.contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(())
    }
}
