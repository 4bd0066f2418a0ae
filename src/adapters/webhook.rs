//! The webhook client, the same in Lambda and locally (reqwest, rustls).

use std::time::Duration;

use async_trait::async_trait;

use crate::ports::WebhookClient;

pub struct ReqwestWebhooks(reqwest::Client);

impl ReqwestWebhooks {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self(client)
    }
}

impl Default for ReqwestWebhooks {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl WebhookClient for ReqwestWebhooks {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<u16, String> {
        let mut request = self
            .0
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        Ok(response.status().as_u16())
    }
}
