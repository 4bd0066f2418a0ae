//! `Mailer` on SESv2 `SendEmail`. The outbox id travels as the message tag
//! `outbox_id` (it comes back in SES events, so `ses-events` can find the
//! outbox record) and as the header `X-Hims-Outbox-Id`.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{
    Body, Content, Destination, EmailContent, Message, MessageHeader, MessageTag,
};

use super::describe;
use crate::ports::{Email, MailError, Mailer};

pub const OUTBOX_TAG: &str = "outbox_id";
pub const OUTBOX_HEADER: &str = "X-Hims-Outbox-Id";

pub struct SesMailer {
    client: Client,
    from: String,
    config_set: Option<String>,
}

/// SES tag values allow only ASCII letters, digits, `_`, `-`, `.`, `@`, up to 256.
fn is_tag_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.@".contains(&b))
}

fn unavailable(e: impl std::fmt::Display) -> MailError {
    MailError::Unavailable(e.to_string())
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(unavailable)
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, config_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            config_set,
        }
    }

    /// Creates (verifies) the sender identity, for tests and development.
    pub async fn create_identity(client: &Client, identity: &str) -> Result<(), MailError> {
        client
            .create_email_identity()
            .email_identity(identity)
            .send()
            .await
            .map_err(|e| MailError::Unavailable(describe(&e)))?;
        Ok(())
    }

    fn message(email: &Email) -> Result<Message, MailError> {
        let mut message = Message::builder().subject(utf8(&email.subject)?).body(
            Body::builder()
                .text(utf8(&email.text)?)
                .html(utf8(&email.html)?)
                .build(),
        );
        if is_tag_value(&email.id) {
            message = message.headers(
                MessageHeader::builder()
                    .name(OUTBOX_HEADER)
                    .value(&email.id)
                    .build()
                    .map_err(unavailable)?,
            );
        }
        Ok(message.build())
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let mut request = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(
                EmailContent::builder()
                    .simple(Self::message(email)?)
                    .build(),
            )
            .set_configuration_set_name(self.config_set.clone());
        if is_tag_value(&email.id) {
            request = request.email_tags(
                MessageTag::builder()
                    .name(OUTBOX_TAG)
                    .value(&email.id)
                    .build()
                    .map_err(unavailable)?,
            );
        }
        let output = request
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(s) if s.is_message_rejected() || s.is_bad_request_exception() => {
                    MailError::Rejected
                }
                // SES error messages can name the address: only the code goes on.
                Some(s) => MailError::Unavailable(s.code().unwrap_or("SES error").to_owned()),
                None => MailError::Unavailable(describe(&e)),
            })?;
        output
            .message_id
            .ok_or_else(|| MailError::Unavailable("SendEmail returned no message id".to_owned()))
    }
}
