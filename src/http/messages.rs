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
