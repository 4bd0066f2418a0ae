//! The outbox after delivery keeps who and what, not the body (which may
//! carry a verification code), and lets the store expire the record.

mod support;

use hims_esign::app::layout;
use hims_esign::app::outbox::{Envelope, Message, Status};
use support::Harness;

#[tokio::test]
async fn delivered_messages_keep_no_body_and_expire() {
    let h = Harness::new();
    h.create_example().await;
    let emails = h.emails().await;
    assert!(!emails.is_empty());
    for email in emails {
        assert!(!email.text.is_empty(), "the mailer got the whole email");
        let item = h
            .runtime
            .app
            .ports
            .store
            .get(&layout::outbox(&email.id))
            .await
            .unwrap()
            .expect("outbox record");
        let envelope: Envelope = serde_json::from_value(item.data).unwrap();
        assert_eq!(envelope.status, Status::Sent);
        let Message::Email(stored) = envelope.message else {
            panic!("an email record")
        };
        assert_eq!(
            (
                stored.to.as_str(),
                stored.text.as_str(),
                stored.html.as_str()
            ),
            (email.to.as_str(), "", "")
        );
        assert!(item.due.is_none(), "not due again");
        assert!(
            item.expires_at.is_some_and(|t| t > h.now().timestamp()),
            "expires later"
        );
    }
}
