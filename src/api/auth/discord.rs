//! Discord's OAuth2 endpoints, as a dashboard login uses them: trading a code
//! (or a refresh token) for a user's Bearer token, and reading the user and
//! their guilds with it. The base URL is the configured Discord API URL, so
//! tests run this against the stand-in.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use crate::config::OAuthClient;

/// Scopes the login asks for: who the user is, and their guilds.
pub const SCOPES: &str = "identify guilds";

/// Permission bits that make a member a guild's manager.
pub const ADMINISTRATOR: u64 = 1 << 3;
pub const MANAGE_GUILD: u64 = 1 << 5;

/// Talks to Discord's OAuth2 and user endpoints.
#[derive(Debug, Clone)]
pub struct DiscordOAuth {
    http: reqwest::Client,
    api_url: String,
    client: OAuthClient,
}

/// The longest an access token is trusted before it is refreshed: Discord's
/// own lifetime (a week). A longer `expires_in` only makes us refresh early.
pub const MAX_ACCESS_TOKEN_SECS: i64 = 7 * 24 * 3600;

/// What the token endpoint answers.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds the access token lives, as Discord says. Any JSON number is
    /// read (saturated into `i64`); [`TokenSet::access_expires_at`] clamps it,
    /// so a negative or absurd value from outside never overflows.
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: i64,
}

impl TokenSet {
    /// When the access token must be refreshed: `expires_in` clamped to
    /// 0..=[`MAX_ACCESS_TOKEN_SECS`] after `now` (a negative one is already
    /// due, so the next use refreshes it).
    pub fn access_expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let seconds = self.expires_in.clamp(0, MAX_ACCESS_TOKEN_SECS);
        TimeDelta::try_seconds(seconds).and_then(|lifetime| now.checked_add_signed(lifetime)).unwrap_or(now)
    }
}

/// A number of seconds from any JSON number: integers beyond `i64`
/// saturate, fractions are truncated, NaN is 0 (`as` casts saturate).
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Signed(i64),
        Unsigned(u64),
        Float(f64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Signed(n) => n,
        Raw::Unsigned(n) => i64::try_from(n).unwrap_or(i64::MAX),
        Raw::Float(x) => x as i64,
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct DiscordUser {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    pub username: String,
    pub global_name: Option<String>,
}

/// One of the user's guilds, with their permissions there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserGuild {
    #[serde(deserialize_with = "snowflake", serialize_with = "as_string")]
    pub id: u64,
    pub name: String,
    pub icon: Option<String>,
    #[serde(default)]
    pub owner: bool,
    #[serde(deserialize_with = "snowflake", serialize_with = "as_string")]
    pub permissions: u64,
}

impl UserGuild {
    /// Whether the user may configure Ticketeer in this guild.
    pub fn manageable(&self) -> bool {
        self.owner || self.permissions & (ADMINISTRATOR | MANAGE_GUILD) != 0
    }
}

/// Discord refused the user's token (revoked, expired): the session is over.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("Discord refused the token")]
    Refused,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl DiscordOAuth {
    pub fn new(api_url: &str, client: OAuthClient) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent("Ticketeer (https://github.com/ticketeer, 0.1)")
            .build()
            .expect("a reqwest client with a timeout builds");
        Self { http, api_url: api_url.trim_end_matches('/').to_owned(), client }
    }

    pub fn client_id(&self) -> u64 {
        self.client.id
    }

    /// Discord's consent page for this login.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", &self.client.id.to_string()),
            ("scope", SCOPES),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("prompt", "none"),
        ])
        .expect("plain pairs encode");
        format!("{}/oauth2/authorize?{query}", self.api_url)
    }

    /// The page that adds the bot to a guild (for guilds it is not in yet).
    pub fn invite_url(&self, guild_id: u64) -> String {
        let query = serde_urlencoded::to_string([
            ("client_id", self.client.id.to_string()),
            ("scope", "bot applications.commands".to_owned()),
            ("permissions", crate::discord::INVITE_PERMISSIONS.to_string()),
            ("guild_id", guild_id.to_string()),
            ("disable_guild_select", "true".to_owned()),
        ])
        .expect("plain pairs encode");
        format!("{}/oauth2/authorize?{query}", self.api_url)
    }

    #[tracing::instrument(skip_all)]
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<TokenSet, OAuthError> {
        self.token(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)]).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, OAuthError> {
        self.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenSet, OAuthError> {
        crate::metrics::discord_oauth_request("token");
        let response = self
            .http
            .post(format!("{}/api/v10/oauth2/token", self.api_url))
            .basic_auth(self.client.id, Some(self.client.secret.expose_secret()))
            .form(form)
            .send()
            .await
            .context("calling Discord's token endpoint")?;
        match response.status().as_u16() {
            200 => Ok(response.json().await.context("reading Discord's token answer")?),
            400 | 401 => Err(OAuthError::Refused),
            status => Err(anyhow::anyhow!("Discord's token endpoint answered {status}").into()),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn current_user(&self, access_token: &str) -> Result<DiscordUser, OAuthError> {
        crate::metrics::discord_oauth_request("users_me");
        self.get_json("/api/v10/users/@me", access_token).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn guilds(&self, access_token: &str) -> Result<Vec<UserGuild>, OAuthError> {
        crate::metrics::discord_oauth_request("users_me_guilds");
        self.get_json("/api/v10/users/@me/guilds?with_counts=false", access_token).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str, access_token: &str) -> Result<T, OAuthError> {
        let response = self
            .http
            .get(format!("{}{path}", self.api_url))
            .bearer_auth(access_token)
            .send()
            .await
            .with_context(|| format!("calling Discord's {path}"))?;
        match response.status().as_u16() {
            200 => Ok(response.json().await.with_context(|| format!("reading Discord's {path}"))?),
            401 | 403 => Err(OAuthError::Refused),
            status => Err(anyhow::anyhow!("Discord's {path} answered {status}").into()),
        }
    }
}

fn snowflake<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
    }
    match Raw::deserialize(d)? {
        Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        Raw::Number(n) => Ok(n),
    }
}

fn as_string<S: serde::Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use serde_json::json;

    fn token_set(expires_in: serde_json::Value) -> TokenSet {
        serde_json::from_value(json!({"access_token": "a", "token_type": "Bearer", "expires_in": expires_in})).unwrap()
    }

    #[test]
    fn an_absurd_or_negative_expires_in_never_overflows_and_is_clamped() {
        let now = Utc::now();
        let week = now + TimeDelta::seconds(MAX_ACCESS_TOKEN_SECS);
        for huge in [json!(u64::MAX), json!(i64::MAX), json!(1e300), json!(f64::MAX)] {
            assert_eq!(token_set(huge.clone()).access_expires_at(now), week, "{huge}");
        }
        for negative in [json!(-1), json!(i64::MIN), json!(-1e300)] {
            assert_eq!(token_set(negative.clone()).access_expires_at(now), now, "{negative}");
        }
        assert_eq!(token_set(json!(3600)).access_expires_at(now), now + TimeDelta::seconds(3600));
        // Even at the end of time, adding never panics.
        assert_eq!(token_set(json!(3600)).access_expires_at(DateTime::<Utc>::MAX_UTC), DateTime::<Utc>::MAX_UTC);
    }

    /// Discord's token endpoint (here a stand-in on a local port) answering
    /// `expires_in` beyond any integer type: the code exchange succeeds and
    /// the expiry is the clamped one.
    #[tokio::test]
    async fn a_token_answer_with_a_huge_expires_in_is_accepted_and_clamped() {
        let answer = r#"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expires_in":123456789012345678901234567890}"#;
        let app = axum::Router::new().route(
            "/api/v10/oauth2/token",
            post(move || async move { ([("content-type", "application/json")], answer) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = OAuthClient { id: 1, secret: secrecy::SecretString::from("s".to_owned()) };
        let oauth = DiscordOAuth::new(&url, client);

        let tokens = oauth.exchange_code("code", "http://x/cb").await.expect("the answer is read");
        let now = Utc::now();
        assert_eq!(tokens.access_expires_at(now), now + TimeDelta::seconds(MAX_ACCESS_TOKEN_SECS));
        let refreshed = oauth.refresh("r").await.expect("the answer is read");
        assert_eq!(refreshed.expires_in, i64::MAX);
    }
}
