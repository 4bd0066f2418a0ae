//! Emails, in Malay as in the manual, from the templates in `templates/email/`
//! (text and HTML; HTML values are escaped by the template engine).

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// F1.1: please complete eKYC in iDsaya.
    EkycRequest,
    /// F1.2: eKYC done; the certificate email follows when the turn comes.
    EkycDone,
    /// F1.2 + F2.1: eKYC done and the turn has come: generate the certificate.
    CertificateStep,
    /// F3.1: certificate ready, sign now.
    YourTurn,
    /// F3.2: the landowner's witness reviews before a deadline.
    ReviewRequest,
    /// Before a deadline, to a party still to act (design: sweeps remind).
    Reminder,
    /// After a deadline passed: to the parties and the developer.
    Expired,
    /// F3.2: a reviewer asked for changes (to the developer, with the comment).
    ChangesRequested,
    /// Every party acted: the signed eSPA and the certificate of completion.
    Completed,
    /// F4.5: an email verification code (sent only when asked for, so not in `ALL`).
    OtpCode,
    /// F6: the certificate PIN was reset.
    PinChanged,
    /// SES: a party's address bounced for good (to the developer, names and roles only).
    EmailBounced,
}

impl Template {
    pub const ALL: [Template; 9] = [
        Self::EkycRequest,
        Self::EkycDone,
        Self::CertificateStep,
        Self::YourTurn,
        Self::ReviewRequest,
        Self::Reminder,
        Self::Expired,
        Self::ChangesRequested,
        Self::Completed,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::EkycRequest => "ekyc_request",
            Self::EkycDone => "ekyc_done",
            Self::CertificateStep => "certificate_step",
            Self::YourTurn => "your_turn",
            Self::ReviewRequest => "review_request",
            Self::Reminder => "reminder",
            Self::Expired => "expired",
            Self::ChangesRequested => "changes_requested",
            Self::Completed => "completed",
            Self::OtpCode => "otp_code",
            Self::PinChanged => "pin_changed",
            Self::EmailBounced => "email_bounced",
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Self::EkycRequest => "Pengesahan eKYC bagi Perjanjian Jual Beli elektronik (eSPA)",
            Self::EkycDone => "Selesai Verifikasi eKYC",
            Self::CertificateStep => "Jana Sijil Tandatangan Digital eSPA",
            Self::YourTurn => "Giliran Tandatangan eSPA",
            Self::ReviewRequest => "Semakan dan Pengesahan eSPA",
            Self::Reminder => "Peringatan: Tarikh Akhir Tindakan eSPA",
            Self::Expired => "Tempoh eSPA Telah Tamat",
            Self::ChangesRequested => "Permohonan Pembetulan eSPA",
            Self::Completed => "eSPA Telah Lengkap Ditandatangani",
            Self::OtpCode => "Kod Verifikasi eSPA",
            Self::PinChanged => "PIN Sijil Digital Telah Ditetapkan Semula",
            Self::EmailBounced => "E-mel eSPA Tidak Dapat Dihantar",
        }
    }
}

/// What every template may use. `salutation` is e.g. "Pembeli".
#[derive(Debug, Clone, Serialize)]
pub struct MailContext {
    pub salutation: String,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    pub link: String,
    /// Malaysia time, dd/mm/yyyy HH:MM.
    pub deadline: String,
    /// A reviewer's change request (ChangesRequested).
    pub comment: Option<String>,
    /// The public verify page of the serial (Completed).
    pub verify_url: Option<String>,
    /// An email verification code, digits spaced (OtpCode).
    pub code: Option<String>,
    /// "Name (role)" of each party whose address bounced (EmailBounced).
    pub bounced_parties: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/email/", $name)))),*]
    };
}

const SOURCES: &[(&str, &str)] = templates!(
    "_layout.txt.j2",
    "_layout.html.j2",
    "ekyc_request.txt.j2",
    "ekyc_request.html.j2",
    "ekyc_done.txt.j2",
    "ekyc_done.html.j2",
    "certificate_step.txt.j2",
    "certificate_step.html.j2",
    "your_turn.txt.j2",
    "your_turn.html.j2",
    "review_request.txt.j2",
    "review_request.html.j2",
    "reminder.txt.j2",
    "reminder.html.j2",
    "expired.txt.j2",
    "expired.html.j2",
    "changes_requested.txt.j2",
    "changes_requested.html.j2",
    "completed.txt.j2",
    "completed.html.j2",
    "otp_code.txt.j2",
    "otp_code.html.j2",
    "pin_changed.txt.j2",
    "pin_changed.html.j2",
    "email_bounced.txt.j2",
    "email_bounced.html.j2",
);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.contains(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in SOURCES {
        env.add_template(name, source)
            .expect("email templates parse (checked by tests)");
    }
    env
});

pub fn render(template: Template, ctx: &MailContext) -> AppResult<RenderedMail> {
    let render = |ext: &str| {
        let name = format!("{}.{ext}.j2", template.name());
        let subject = template.subject();
        ENV.get_template(&name)
            .and_then(|t| {
                t.render(minijinja::context! { subject, ..minijinja::Value::from_serialize(ctx) })
            })
            .map_err(|e| {
                tracing::error!(template = %name, error = %e, "email template failed");
                AppError::internal("template_failed")
            })
    };
    Ok(RenderedMail {
        subject: template.subject().to_owned(),
        text: render("txt")?,
        html: render("html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> MailContext {
        MailContext {
            salutation: "Saksi Tuan Tanah".into(),
            project_code: "20165-9".into(),
            project_name: "PARKLAND AVENUE".into(),
            developer_name: "PARKLAND AVENUE SDN. BHD.".into(),
            unit: "B-10-01".into(),
            link: "https://hims.example/s/abc?x=1&y=<2>".into(),
            deadline: "31/05/2025 10:17".into(),
            comment: Some("Alamat <salah>".into()),
            verify_url: Some("https://hims.example/verify/HIMS-20165-9-B-10-01-000001".into()),
            code: Some("8 7 6 6 4 4".into()),
            bounced_parties: vec!["Nur Aisyah <binti> Abdullah (Pembeli)".into()],
        }
    }

    #[test]
    fn every_template_renders_with_footer_and_escaped_html() {
        for t in Template::ALL {
            let m = render(t, &ctx()).unwrap();
            for body in [&m.text, &m.html] {
                assert!(body.contains("03-8991 4797"), "{t:?} helpdesk line");
                assert!(body.contains("hims.aduan@kpkt.gov.my"));
                assert!(body.contains("Kementerian Perumahan dan Kerajaan Tempatan"));
                assert!(body.contains("20165-9") && body.contains("PARKLAND AVENUE"));
            }
            if matches!(t, Template::Expired | Template::ChangesRequested) {
                continue; // nothing left to do: no link
            }
            assert!(m.text.contains("y=<2>"), "{t:?} text keeps the link as is");
            assert!(
                !m.html.contains("<2>") && m.html.contains("&lt;2&gt;"),
                "{t:?} html escapes"
            );
        }
    }

    #[test]
    fn bounce_notice_names_the_parties_escaped_with_the_footer() {
        let m = render(Template::EmailBounced, &ctx()).unwrap();
        assert!(m.text.contains("- Nur Aisyah <binti> Abdullah (Pembeli)"));
        assert!(
            m.html
                .contains("Nur Aisyah &lt;binti&gt; Abdullah (Pembeli)")
        );
        for body in [&m.text, &m.html] {
            assert!(body.contains("03-8991 4797") && body.contains("hims.aduan@kpkt.gov.my"));
            assert!(body.contains("20165-9") && body.contains("B-10-01"));
        }
    }

    #[test]
    fn witness_review_states_the_deadline_as_in_the_manual() {
        let m = render(Template::ReviewRequest, &ctx()).unwrap();
        assert!(m.text.starts_with("Kepada Saksi Tuan Tanah,"));
        assert!(m.text.contains(
            "hanya sah sehingga 31/05/2025 10:17. Sila lakukan pengesahan sebelum tarikh tersebut."
        ));
        assert!(m.text.contains("pemaju PARKLAND AVENUE SDN. BHD."));
    }
}
