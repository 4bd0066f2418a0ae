//! The `Mailer` contract: what is sent arrives as sent. How to look at what
//! arrived depends on the adapter, so the fixture brings a reader.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hims_esign::ports::{Email, Mailer};

use super::Fixture;

/// One test per check below, on a fresh fixture from `$make`
/// (an `async fn() -> MailFixture`, given as a `crate::` path).
#[macro_export]
macro_rules! mail_contract_tests {
    ($make:path) => {
        $crate::contract_tests!(
            mail,
            $make,
            [sent_email_arrives_as_sent, two_emails_arrive_separately]
        );
    };
}

/// An email as the receiving side saw it. A reader that cannot see a body
/// leaves it `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub to: String,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
}

pub type ReadFuture = Pin<Box<dyn Future<Output = Option<Delivered>> + Send>>;

/// A mailer and a way to find a sent email by the message id `send` returned.
pub struct MailFixture {
    pub mailer: Fixture<dyn Mailer>,
    pub read: Box<dyn Fn(String) -> ReadFuture + Send + Sync>,
}

impl MailFixture {
    pub fn new(
        mailer: Fixture<dyn Mailer>,
        read: impl Fn(String) -> ReadFuture + Send + Sync + 'static,
    ) -> Self {
        Self {
            mailer,
            read: Box::new(read),
        }
    }

    fn port(&self) -> Arc<dyn Mailer> {
        Arc::clone(&self.mailer.port)
    }
}

fn email(f: &MailFixture, n: u32) -> Email {
    let ns = &f.mailer.ns;
    Email {
        id: format!("{ns}-outbox-{n}"),
        to: format!("buyer{n}@example.com"),
        subject: format!("Sila tandatangan / Please sign ({ns} {n})"),
        text: format!("Buka pautan / Open the link: https://esign.example/s/{ns}{n}\n"),
        html: format!(
            "<p>Buka pautan: <a href=\"https://esign.example/s/{ns}{n}\">tandatangan</a> &amp; José</p>"
        ),
    }
}

async fn assert_arrived(f: &MailFixture, message_id: &str, sent: &Email) {
    assert!(!message_id.is_empty(), "a message id");
    let Some(got) = (f.read)(message_id.to_string()).await else {
        panic!("message {message_id} did not arrive");
    };
    assert_eq!(
        (got.to.as_str(), got.subject.as_str()),
        (sent.to.as_str(), sent.subject.as_str())
    );
    if let Some(text) = got.text {
        assert_eq!(text, sent.text);
    }
    if let Some(html) = got.html {
        assert_eq!(html, sent.html);
    }
}

pub async fn sent_email_arrives_as_sent(f: &MailFixture) {
    let sent = email(f, 1);
    let message_id = f.port().send(&sent).await.expect("send");
    assert_arrived(f, &message_id, &sent).await;
}

pub async fn two_emails_arrive_separately(f: &MailFixture) {
    let (first, second) = (email(f, 1), email(f, 2));
    let first_id = f.port().send(&first).await.expect("send");
    let second_id = f.port().send(&second).await.expect("send");
    assert_ne!(first_id, second_id);
    assert_arrived(f, &first_id, &first).await;
    assert_arrived(f, &second_id, &second).await;
}
