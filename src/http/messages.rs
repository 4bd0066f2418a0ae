//! The message catalogue: every error code in Malay (the default) and English.

/// `(message_ms, message_en)` for an error code.
pub fn for_code(code: &str) -> (&'static str, &'static str) {
    match code {
        "validation_failed" => (
            "Maklumat yang dihantar tidak sah.",
            "The submitted information is not valid.",
        ),
        "invalid_json" => (
            "Kandungan permintaan bukan JSON yang sah.",
            "The request body is not valid JSON.",
        ),
        "missing_field" => (
            "Maklumat wajib tidak diisi.",
            "A required field is missing.",
        ),
        "wrong_type" => ("Jenis maklumat tidak betul.", "A field has the wrong type."),
        "unsupported_media_type" => (
            "Kandungan mesti dalam format JSON.",
            "The request body must be JSON.",
        ),
        "body_too_large" => (
            "Kandungan permintaan terlalu besar.",
            "The request body is too large.",
        ),
        "body_unreadable" => (
            "Kandungan permintaan tidak dapat dibaca.",
            "The request body could not be read.",
        ),
        "body_timeout" => (
            "Kandungan permintaan tidak diterima dalam masa yang ditetapkan.",
            "The request body did not arrive in time.",
        ),
        "pdf_too_complex" => (
            "PDF ini terlalu kompleks untuk disemak: kandungan mampatannya melebihi had yang dibenarkan.",
            "This PDF is too complex to check: its compressed content expands beyond the allowed limit.",
        ),
        "verify_rate_limited" => (
            "Terlalu banyak semakan dari alamat anda. Sila cuba sebentar lagi.",
            "Too many checks from your address. Please try again shortly.",
        ),
        "request_invalid" => (
            "Permintaan ini tidak dapat diproses seperti yang diminta.",
            "The request cannot be processed as asked.",
        ),
        "path_invalid" => (
            "Alamat permintaan tidak sah.",
            "The request path is not valid.",
        ),
        "query_invalid" => (
            "Parameter carian tidak sah.",
            "The query parameters are not valid.",
        ),
        "status_invalid" => ("Status tidak sah.", "Unknown status."),
        "cursor_invalid" => ("Kursor halaman tidak sah.", "The page cursor is not valid."),
        "pdf_too_large" => ("Fail PDF melebihi 20 MB.", "The PDF is larger than 20 MB."),
        "pdf_encrypted" => (
            "Fail PDF dilindungi kata laluan dan tidak boleh digunakan.",
            "The PDF is encrypted and cannot be used.",
        ),
        "pdf_not_a_pdf" => ("Dokumen bukan fail PDF.", "The document is not a PDF file."),
        "pdf_has_signature_fields" => (
            "Fail PDF sudah mempunyai tandatangan atau medan bernama seperti medan tandatangan kami (sig_...). Sila hantar tanpanya.",
            "The PDF already has a signature or a field named like our signature fields (sig_...). Please send it without them.",
        ),
        "verify_pdf_too_large" => (
            "Fail PDF untuk disemak melebihi 4 MB.",
            "The PDF to check is larger than 4 MB.",
        ),
        "pdf_missing" => (
            "Sila lampirkan fail PDF dalam medan \"file\".",
            "Attach the PDF in the \"file\" field.",
        ),
        "verify_media_type" => (
            "Hantar fail PDF sebagai application/pdf atau borang multipart/form-data.",
            "Send the PDF as application/pdf or as a multipart/form-data form.",
        ),
        "tsa_media_type" => (
            "Hantar permintaan cap masa RFC 3161 sebagai application/timestamp-query.",
            "Send an RFC 3161 timestamp request as application/timestamp-query.",
        ),
        "pdf_corrupt" => (
            "Fail PDF rosak atau tidak lengkap.",
            "The PDF is damaged or incomplete.",
        ),
        "changes_requested" => (
            "Perjanjian ini menunggu pembetulan oleh pemaju.",
            "This agreement is waiting for the developer's changes.",
        ),
        "certificate_required" => (
            "Sila jana sijil digital terlebih dahulu.",
            "Please generate your digital certificate first.",
        ),
        "comment_too_long" => ("Ulasan terlalu panjang.", "The comment is too long."),
        "serial_invalid" | "serial_mismatch" => (
            "No. siri eSPA tidak sah.",
            "The eSPA serial number is not valid.",
        ),
        "activation_invalid" => (
            "Pengesahan tandatangan tidak sah. Sila masukkan PIN semula.",
            "The signing authorisation is not valid. Please enter your PIN again.",
        ),
        "activation_expired" => (
            "Pengesahan tandatangan telah tamat tempoh. Sila masukkan PIN semula.",
            "The signing authorisation has expired. Please enter your PIN again.",
        ),
        "activation_wrong_document" => (
            "Dokumen telah berubah sejak pengesahan. Sila semak semula eSPA.",
            "The document changed since you authorised. Please review the eSPA again.",
        ),
        "idempotency_key_invalid" => (
            "Idempotency-Key tidak sah.",
            "The Idempotency-Key header is not valid.",
        ),
        "idempotency_key_reused" => (
            "Idempotency-Key ini telah digunakan untuk permintaan lain.",
            "This Idempotency-Key was already used for a different request.",
        ),
        "token_missing" => ("Sila log masuk.", "Authentication is required."),
        "token_invalid" => ("Token tidak sah.", "The token is not valid."),
        "link_invalid" => ("Pautan ini tidak sah.", "This link is not valid."),
        "link_expired" => ("Pautan ini telah tamat tempoh.", "This link has expired."),
        "signature_missing" => (
            "Tandatangan permintaan tiada.",
            "The request signature is missing.",
        ),
        "signature_invalid" => (
            "Tandatangan permintaan tidak sah.",
            "The request signature is not valid.",
        ),
        "timestamp_invalid" => (
            "Cap masa permintaan tidak sah atau di luar had 5 minit.",
            "The request timestamp is missing or more than 5 minutes off.",
        ),
        "replayed" => (
            "Permintaan ini telah diterima sebelum ini.",
            "This request was already received.",
        ),
        "agreement_not_found" => ("Perjanjian tidak dijumpai.", "Agreement not found."),
        "party_not_found" | "unknown_party" => ("Pihak tidak dijumpai.", "Party not found."),
        "document_not_found" => ("Dokumen tidak dijumpai.", "Document not found."),
        "serial_not_found" => (
            "No. siri eSPA tidak dijumpai.",
            "eSPA serial number not found.",
        ),
        "route_not_found" => ("Laluan tidak wujud.", "No such route."),
        "method_not_allowed" => ("Kaedah tidak dibenarkan.", "Method not allowed."),
        "not_implemented" => (
            "Fungsi ini belum tersedia.",
            "This function is not available yet.",
        ),
        "concurrent_update" => (
            "Rekod sedang dikemas kini oleh permintaan lain. Sila cuba lagi.",
            "The record was updated by another request. Please try again.",
        ),
        "not_your_turn" => ("Belum tiba giliran anda.", "It is not your turn yet."),
        "ekyc_not_approved" => (
            "Verifikasi eKYC anda belum selesai.",
            "Your eKYC verification is not complete.",
        ),
        "deadline_passed" => ("Tarikh akhir telah berlalu.", "The deadline has passed."),
        "agreement_closed" => (
            "Perjanjian ini tidak lagi aktif.",
            "This agreement is no longer open.",
        ),
        "certificate_issued" => (
            "Sijil digital berjaya dijana",
            "Digital certificate generated",
        ),
        "pin_policy" => (
            "PIN tidak memenuhi syarat: 8 hingga 16 aksara, sekurang-kurangnya satu huruf besar, satu huruf kecil dan satu simbol.",
            "The PIN does not meet the policy: 8 to 16 characters, with at least one uppercase letter, one lowercase letter and one symbol.",
        ),
        "pin_too_short" => (
            "PIN mesti sekurang-kurangnya 8 aksara.",
            "The PIN must be at least 8 characters long.",
        ),
        "pin_too_long" => (
            "PIN tidak boleh melebihi 16 aksara.",
            "The PIN must be at most 16 characters long.",
        ),
        "pin_no_uppercase" => (
            "PIN mesti mengandungi sekurang-kurangnya satu huruf besar.",
            "The PIN must contain at least one uppercase letter.",
        ),
        "pin_no_lowercase" => (
            "PIN mesti mengandungi sekurang-kurangnya satu huruf kecil.",
            "The PIN must contain at least one lowercase letter.",
        ),
        "pin_no_symbol" => (
            "PIN mesti mengandungi sekurang-kurangnya satu simbol.",
            "The PIN must contain at least one symbol.",
        ),
        "pin_mismatch" => (
            "PIN dan pengesahan PIN tidak sepadan.",
            "The PIN and its confirmation do not match.",
        ),
        "address_required" => ("Sila isi alamat.", "Please enter your address."),
        "address_too_long" => (
            "Alamat tidak boleh melebihi 200 aksara.",
            "The address must be at most 200 characters long.",
        ),
        "postcode_invalid" => ("Poskod mesti 5 digit.", "The postcode must be 5 digits."),
        "nationality_invalid" => (
            "Negara kerakyatan tidak sah.",
            "The nationality is not a valid country.",
        ),
        "certificate_exists" => (
            "Sijil digital telah dijana.",
            "The digital certificate was already generated.",
        ),
        "already_done" => ("Langkah ini telah selesai.", "This step is already done."),
        "comment_required" => (
            "Sila nyatakan pembetulan yang diperlukan.",
            "Please describe the changes needed.",
        ),
        "wrong_action" => (
            "Tindakan ini bukan untuk anda.",
            "This action is not yours to take.",
        ),
        "serial_required" => (
            "No. siri eSPA diperlukan.",
            "The eSPA serial number is required.",
        ),
        "invalid_transition" => (
            "Tindakan tidak dibenarkan pada status semasa.",
            "Not allowed in the current state.",
        ),
        "consent_required" => (
            "Sila tandakan persetujuan sebelum menandatangani eSPA.",
            "Please tick the consent box before signing the eSPA.",
        ),
        "signature_image_invalid" => (
            "Imej tandatangan tidak sah. Sila lukis semula tandatangan anda.",
            "The signature image is not valid. Please draw your signature again.",
        ),
        "document_changed" => (
            "eSPA telah berubah. Sila muat semula dan semak eSPA terkini.",
            "The eSPA has changed. Please reload and review the latest eSPA.",
        ),
        "agreement_not_completed" => (
            "eSPA belum lengkap ditandatangani oleh semua pihak.",
            "The eSPA is not yet signed by every party.",
        ),
        "totp_confirmed" => (
            "No. TOTP betul. Aplikasi pengesah anda sedia untuk menandatangani.",
            "The TOTP code is right. Your authenticator app is ready for signing.",
        ),
        "document_text_unavailable" => (
            "Paparan teks tiada untuk dokumen ini. Sila baca PDF.",
            "No text view exists for this document. Please read the PDF.",
        ),
        "signed" => (
            "Pengesahan & tandatangan eSPA berjaya",
            "eSPA verification & signature successful",
        ),
        "review_confirmed" => (
            "Pengesahan eSPA berjaya dihantar",
            "Your confirmation of the eSPA was recorded",
        ),
        "review_changes_requested" => (
            "Permohonan pembetulan telah dihantar kepada pemaju",
            "Your change request was sent to the developer",
        ),
        "signing_failed" => (
            "Tandatangan digital tidak dapat dijana. Sila cuba lagi.",
            "The digital signature could not be made. Please try again.",
        ),
        "verify_failed" => (
            "Semakan tandatangan tidak dapat dibuat. Sila cuba lagi.",
            "The signatures could not be checked. Please try again.",
        ),
        "factor_required" => (
            "Sila masukkan sama ada No. TOTP atau kod verifikasi e-mel.",
            "Please enter either the TOTP code or the email verification code.",
        ),
        "pin_incorrect" => (
            "Verifikasi & tandatangan digital eSPA tidak berjaya. PIN tidak sah.",
            "Verification & digital signature of the eSPA was unsuccessful. The PIN is incorrect.",
        ),
        "pin_blocked" => (
            "Verifikasi & tandatangan digital eSPA tidak berjaya. PIN anda telah disekat. Sila tetapkan semula PIN.",
            "Verification & digital signature of the eSPA was unsuccessful. Your PIN is blocked. Please reset your PIN.",
        ),
        "totp_format" => ("No. TOTP mesti 6 digit.", "The TOTP code must be 6 digits."),
        "totp_incorrect" => (
            "Verifikasi & tandatangan digital eSPA tidak berjaya. No. TOTP tidak sah.",
            "Verification & digital signature of the eSPA was unsuccessful. The TOTP code is incorrect.",
        ),
        "totp_reused" => (
            "No. TOTP ini telah digunakan. Sila tunggu kod seterusnya.",
            "This TOTP code was already used. Please wait for the next code.",
        ),
        "factor_locked" => (
            "Terlalu banyak percubaan yang tidak berjaya. Sila cuba lagi kemudian.",
            "Too many unsuccessful attempts. Please try again later.",
        ),
        "email_code_format" => (
            "Kod verifikasi mesti 6 digit.",
            "The verification code must be 6 digits.",
        ),
        "email_code_incorrect" => (
            "Kod verifikasi tidak sah.",
            "The verification code is incorrect.",
        ),
        "email_code_expired" => (
            "Kod verifikasi telah tamat tempoh. Sila minta kod baharu.",
            "The verification code has expired. Please request a new code.",
        ),
        "email_code_used" => (
            "Kod verifikasi ini telah digunakan. Sila minta kod baharu.",
            "This verification code was already used. Please request a new code.",
        ),
        "email_code_wrong_purpose" => (
            "Kod verifikasi ini bukan untuk tindakan ini.",
            "This verification code is for a different action.",
        ),
        "email_code_not_requested" => (
            "Tiada kod verifikasi yang aktif. Sila minta kod verifikasi.",
            "There is no active verification code. Please request one.",
        ),
        "email_code_attempts_exhausted" => (
            "Terlalu banyak percubaan bagi kod ini. Sila minta kod baharu.",
            "Too many attempts for this code. Please request a new code.",
        ),
        "otp_rate_limited" => (
            "Kod verifikasi telah dihantar. Sila tunggu sebelum meminta kod baharu.",
            "A verification code was sent recently. Please wait before requesting another.",
        ),
        "identity_mismatch" => (
            "Semakan tidak berjaya. Maklumat tidak sepadan dengan rekod.",
            "Check unsuccessful. The details do not match our records.",
        ),
        "email_confirmed" => ("Semakan berjaya.", "Check successful."),
        "pin_reset_done" => (
            "Penetapan semula PIN Sijil Digital berjaya. Sila ke halaman Tandatangan dan gunakan PIN yang baharu.",
            "Digital Certificate PIN Reset Successful. Please go to the Signature page and use the newly reset PIN.",
        ),
        "timestamp_unavailable" => (
            "Cap masa tidak dapat diperoleh buat sementara; tiada apa-apa yang ditandatangani. Sila cuba lagi.",
            "No timestamp could be obtained just now, so nothing was signed. Please try again.",
        ),
        "service_unavailable" => (
            "Perkhidmatan tidak dapat dicapai buat sementara. Sila cuba lagi.",
            "The service is temporarily unavailable. Please try again.",
        ),
        _ => (
            "Ralat dalaman. Sila cuba lagi.",
            "Internal error. Please try again.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::for_code;

    /// Every code the domain and the HTTP layer can produce has its own text
    /// (the fallback is for bugs only).
    #[test]
    fn every_known_code_has_its_own_message() {
        let fallback = for_code("no-such-code");
        let codes = [
            "agreement_closed",
            "already_done",
            "certificate_exists",
            "certificate_required",
            "changes_requested",
            "comment_required",
            "comment_too_long",
            "deadline_passed",
            "ekyc_not_approved",
            "invalid_transition",
            "not_your_turn",
            "serial_invalid",
            "serial_mismatch",
            "serial_required",
            "unknown_party",
            "wrong_action",
            "validation_failed",
            "invalid_json",
            "missing_field",
            "wrong_type",
            "body_too_large",
            "body_unreadable",
            "body_timeout",
            "pdf_too_complex",
            "verify_rate_limited",
            "unsupported_media_type",
            "path_invalid",
            "request_invalid",
            "query_invalid",
            "method_not_allowed",
            "token_missing",
            "token_invalid",
            "link_invalid",
            "link_expired",
            "signature_missing",
            "signature_invalid",
            "timestamp_invalid",
            "replayed",
            "agreement_not_found",
            "idempotency_key_reused",
            "pdf_corrupt",
            "pdf_encrypted",
            "pdf_too_large",
            "pdf_not_a_pdf",
            "pdf_has_signature_fields",
            "verify_pdf_too_large",
            "pdf_missing",
            "verify_media_type",
            "tsa_media_type",
            "concurrent_update",
            "route_not_found",
            "consent_required",
            "signature_image_invalid",
            "document_changed",
            "agreement_not_completed",
            "signed",
            "totp_confirmed",
            "document_text_unavailable",
            "review_confirmed",
            "review_changes_requested",
            "signing_failed",
            "verify_failed",
            "serial_not_found",
            "activation_invalid",
            "activation_expired",
            "activation_wrong_document",
        ];
        for code in codes {
            let (ms, en) = for_code(code);
            assert_ne!((ms, en), fallback, "{code} has no message");
            assert_ne!(
                ms, en,
                "{code}: the Malay text is not a copy of the English"
            );
        }
    }
}
