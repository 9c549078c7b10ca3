//! Credentials: none (loopback emulator), a static token, or a chain of Entra ID sources built
//! on `azure_identity` (which has no `DefaultAzureCredential`).
//!
//! Chain order, first usable source wins and is kept for the client's lifetime:
//! 1. service principal: `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` + `AZURE_TENANT_ID`;
//! 2. workload identity: `AZURE_FEDERATED_TOKEN_FILE` (+ client and tenant id), then GitHub
//!    Actions OIDC: `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (+ client and
//!    tenant id), exchanged as a client assertion (audience `api://AzureADTokenExchange`);
//! 3. managed identity (App Service or IMDS), with a short timeout so a laptop does not hang;
//! 4. Azure CLI: `az account get-access-token`.
//!
//! A source whose variables are absent is skipped. A source that is configured through the
//! environment (1, 2) and fails ends the chain with its error: falling back silently to another
//! identity (say, a developer's `az login`) would apply changes as someone else. Managed
//! identity and the CLI are probes: their failures move on to the next source.
//!
//! This module never reads the environment: [`ChainSettings::from_env`] takes the variables as
//! a map the caller read. (`azure_identity`'s managed identity and CLI credentials do look at a
//! few process variables themselves, e.g. `IDENTITY_ENDPOINT` to detect App Service.)

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential};
use azure_core::http::{ClientMethodOptions, ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use crate::cloud::Cloud;
use crate::secret::SecretString;

/// The token sent to a loopback endpoint (the local emulator) when no credential is used.
pub const LOCAL_TOKEN: &str = "adfctl-local";

/// The audience GitHub Actions OIDC tokens are requested for.
pub const GITHUB_OIDC_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Tokens are refreshed this long before they expire.
const EXPIRY_MARGIN: time::Duration = time::Duration::minutes(5);

/// How the client authenticates.
// Built once per client; `Credential::Chain(settings)` reads better than a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Default)]
pub enum Credential {
    /// No Azure credential: sends `Authorization: Bearer adfctl-local`. For the loopback emulator.
    #[default]
    None,
    /// A bearer token obtained elsewhere (never refreshed).
    Static(SecretString),
    /// The credential chain.
    Chain(ChainSettings),
}

impl Credential {
    /// The credential an endpoint needs: none for a loopback endpoint (the emulator), the chain
    /// otherwise.
    pub fn for_endpoint(endpoint: &url::Url, settings: ChainSettings) -> Credential {
        if crate::endpoint::is_loopback(endpoint) {
            Credential::None
        } else {
            Credential::Chain(settings)
        }
    }
}

/// GitHub Actions OIDC settings (present in a job with `permissions: id-token: write`).
#[derive(Clone, Debug)]
pub struct GithubOidcSettings {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub request_url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub request_token: SecretString,
}

/// What the credential chain may use. The CLI fills it from the environment with
/// [`ChainSettings::from_env`]; tests build it by hand.
#[derive(Clone)]
pub struct ChainSettings {
    /// The cloud, for the authority host and token scope.
    pub cloud: Cloud,
    /// Overrides the cloud's authority host (`AZURE_AUTHORITY_HOST`). Must be https.
    pub authority_host: Option<String>,
    /// Overrides the cloud's token scope (for a custom ARM endpoint).
    pub token_scope: Option<String>,
    /// `AZURE_TENANT_ID`.
    pub tenant_id: Option<String>,
    /// `AZURE_CLIENT_ID` (also picks a user-assigned managed identity).
    pub client_id: Option<String>,
    /// `AZURE_CLIENT_SECRET`.
    pub client_secret: Option<SecretString>,
    /// `AZURE_FEDERATED_TOKEN_FILE`.
    pub federated_token_file: Option<PathBuf>,
    /// GitHub Actions OIDC request URL and token.
    pub github_oidc: Option<GithubOidcSettings>,
    /// Try managed identity (default true).
    pub managed_identity: bool,
    /// Give up on managed identity after this long (default 5 s): off Azure, IMDS never answers.
    pub managed_identity_timeout: Duration,
    /// Try the Azure CLI (default true).
    pub azure_cli: bool,
    /// HTTP transport for the Entra ID requests of `azure_identity` (tests, proxies). `None`
    /// uses azure_core's reqwest client.
    pub transport: Option<Transport>,
}

impl Default for ChainSettings {
    fn default() -> Self {
        ChainSettings {
            cloud: Cloud::Public,
            authority_host: None,
            token_scope: None,
            tenant_id: None,
            client_id: None,
            client_secret: None,
            federated_token_file: None,
            github_oidc: None,
            managed_identity: true,
            managed_identity_timeout: Duration::from_secs(5),
            azure_cli: true,
            transport: None,
        }
    }
}

impl fmt::Debug for ChainSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainSettings")
            .field("cloud", &self.cloud)
            .field("authority_host", &self.authority_host)
            .field("token_scope", &self.token_scope)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("federated_token_file", &self.federated_token_file)
            .field("github_oidc", &self.github_oidc.as_ref().map(|_| "<set>"))
            .field("managed_identity", &self.managed_identity)
            .field("managed_identity_timeout", &self.managed_identity_timeout)
            .field("azure_cli", &self.azure_cli)
            .finish_non_exhaustive()
    }
}

impl ChainSettings {
    /// Reads the chain's variables from `vars` (the CLI passes `std::env::vars()`). Empty
    /// values count as unset. `cloud` stays `Public`; set it from the CLI's own setting.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> ChainSettings {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .collect();
        let get = |name: &str| vars.get(name).cloned();
        let github_oidc = match (
            get("ACTIONS_ID_TOKEN_REQUEST_URL"),
            get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            (Some(request_url), Some(token)) => Some(GithubOidcSettings {
                request_url,
                request_token: SecretString::new(token),
            }),
            _ => None,
        };
        ChainSettings {
            authority_host: get("AZURE_AUTHORITY_HOST"),
            tenant_id: get("AZURE_TENANT_ID"),
            client_id: get("AZURE_CLIENT_ID"),
            client_secret: get("AZURE_CLIENT_SECRET").map(SecretString::new),
            federated_token_file: get("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from),
            github_oidc,
            ..ChainSettings::default()
        }
    }

    /// The OAuth2 scope requested for ARM.
    pub fn scope(&self) -> &str {
        self.token_scope
            .as_deref()
            .unwrap_or_else(|| self.cloud.token_scope())
    }

    fn client_options(&self) -> ClientOptions {
        let cloud = match &self.authority_host {
            Some(host) => {
                let mut custom = azure_core::cloud::CustomConfiguration::default();
                custom.authority_host = host.clone();
                azure_core::cloud::CloudConfiguration::from(custom)
            }
            None => self.cloud.azure_configuration(),
        };
        ClientOptions {
            cloud: Some(Arc::new(cloud)),
            transport: self.transport.clone(),
            ..Default::default()
        }
    }
}

/// One source of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Client id + secret.
    ServicePrincipal,
    /// Federated token file (Kubernetes workload identity and the like).
    WorkloadIdentity,
    /// GitHub Actions OIDC.
    GithubOidc,
    /// Managed identity.
    ManagedIdentity,
    /// Azure CLI.
    AzureCli,
}

impl SourceKind {
    /// A label with the variables the source reads.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::ServicePrincipal => {
                "service principal (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)"
            }
            SourceKind::WorkloadIdentity => {
                "workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID)"
            }
            SourceKind::GithubOidc => {
                "GitHub Actions OIDC (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN, AZURE_CLIENT_ID, AZURE_TENANT_ID)"
            }
            SourceKind::ManagedIdentity => "managed identity",
            SourceKind::AzureCli => "Azure CLI (az account get-access-token)",
        }
    }

    /// Configured through the environment: a failure ends the chain.
    fn is_explicit(self) -> bool {
        matches!(
            self,
            SourceKind::ServicePrincipal | SourceKind::WorkloadIdentity | SourceKind::GithubOidc
        )
    }
}

/// What happened when the chain looked at one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Its settings were absent or incomplete.
    NotConfigured(String),
    /// Turned off in [`ChainSettings`].
    Disabled,
    /// It was tried and failed.
    Failed(String),
}

/// One line of the "no credential found" report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The source.
    pub source: SourceKind,
    /// What happened.
    pub outcome: AttemptOutcome,
}

/// No token could be obtained.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Every source was tried (or a configured one failed); lists what was tried.
    #[error("{}", render_attempts(attempts))]
    NoCredential {
        /// Each source looked at, in order.
        attempts: Vec<Attempt>,
    },
    /// The source that worked before failed to refresh its token.
    #[error("{} failed to refresh its token: {message}", source_kind.label())]
    RefreshFailed {
        /// The source.
        source_kind: SourceKind,
        /// Its error.
        message: String,
    },
}

fn render_attempts(attempts: &[Attempt]) -> String {
    let stopped = attempts
        .last()
        .filter(|attempt| {
            attempt.source.is_explicit() && matches!(attempt.outcome, AttemptOutcome::Failed(_))
        })
        .map(|attempt| attempt.source);
    let mut text = match stopped {
        Some(source) => format!(
            "Azure authentication failed: {} is configured but did not work; tried, in order:\n",
            source.label()
        ),
        None => "no Azure credential found; tried, in order:\n".to_string(),
    };
    for attempt in attempts {
        let outcome = match &attempt.outcome {
            AttemptOutcome::NotConfigured(reason) => format!("not configured: {reason}"),
            AttemptOutcome::Disabled => "disabled".to_string(),
            AttemptOutcome::Failed(message) => {
                format!("failed: {}", message.trim().replace('\n', "\n      "))
            }
        };
        text.push_str(&format!("  - {}: {outcome}\n", attempt.source.label()));
    }
    text.push_str(
        "hint: run `az login`; or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET \
         for a service principal; or, in GitHub Actions, grant `permissions: id-token: write` \
         and set AZURE_CLIENT_ID and AZURE_TENANT_ID; for the local emulator use a loopback \
         endpoint (http://127.0.0.1:PORT)",
    );
    text
}

/// Supplies GitHub Actions' OIDC token as a client assertion (azure_identity 1.0 has no
/// GitHub credential; `ClientAssertionCredential` does the token exchange).
struct GithubAssertion {
    settings: GithubOidcSettings,
    http: reqwest::Client,
}

impl fmt::Debug for GithubAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubAssertion").finish_non_exhaustive()
    }
}

fn credential_error(message: String) -> azure_core::Error {
    azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, message)
}

#[async_trait::async_trait]
impl ClientAssertion for GithubAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        let mut url = url::Url::parse(&self.settings.request_url).map_err(|error| {
            credential_error(format!(
                "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {error}"
            ))
        })?;
        url.query_pairs_mut()
            .append_pair("audience", GITHUB_OIDC_AUDIENCE);
        let response = self
            .http
            .get(url)
            .bearer_auth(self.settings.request_token.expose())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|error| {
                credential_error(format!(
                    "requesting the GitHub OIDC token failed: {}",
                    error.without_url()
                ))
            })?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.map_err(|error| {
            credential_error(format!(
                "the GitHub OIDC token response (status {status}) is not JSON: {}",
                error.without_url()
            ))
        })?;
        if !status.is_success() {
            return Err(credential_error(format!(
                "the GitHub OIDC token endpoint returned {status}; does the job have `permissions: id-token: write`?"
            )));
        }
        body.get("value")
            .and_then(|value| value.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                credential_error("the GitHub OIDC token response has no `value`".to_string())
            })
    }
}

type SourceSetup = Result<Arc<dyn TokenCredential>, AttemptOutcome>;

fn require<'a>(value: &'a Option<String>, name: &str) -> Result<&'a String, AttemptOutcome> {
    value
        .as_ref()
        .ok_or_else(|| AttemptOutcome::NotConfigured(format!("{name} is not set")))
}

fn setup_failed(error: azure_core::Error) -> AttemptOutcome {
    AttemptOutcome::Failed(error.to_string())
}

fn setup(kind: SourceKind, settings: &ChainSettings) -> SourceSetup {
    match kind {
        SourceKind::ServicePrincipal => {
            let Some(secret) = &settings.client_secret else {
                return Err(AttemptOutcome::NotConfigured(
                    "AZURE_CLIENT_SECRET is not set".into(),
                ));
            };
            let client_id = require(&settings.client_id, "AZURE_CLIENT_ID")?;
            let tenant_id = require(&settings.tenant_id, "AZURE_TENANT_ID")?;
            let options = ClientSecretCredentialOptions {
                client_options: settings.client_options(),
            };
            let credential = ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                Secret::new(secret.expose().to_string()),
                Some(options),
            )
            .map_err(setup_failed)?;
            Ok(credential)
        }
        SourceKind::WorkloadIdentity => {
            let Some(path) = &settings.federated_token_file else {
                return Err(AttemptOutcome::NotConfigured(
                    "AZURE_FEDERATED_TOKEN_FILE is not set".into(),
                ));
            };
            let client_id = require(&settings.client_id, "AZURE_CLIENT_ID")?;
            let tenant_id = require(&settings.tenant_id, "AZURE_TENANT_ID")?;
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: settings.client_options(),
                },
                client_id: Some(client_id.clone()),
                tenant_id: Some(tenant_id.clone()),
                token_file_path: Some(path.clone()),
            };
            let credential =
                WorkloadIdentityCredential::new(Some(options)).map_err(setup_failed)?;
            Ok(credential)
        }
        SourceKind::GithubOidc => {
            let Some(github) = &settings.github_oidc else {
                return Err(AttemptOutcome::NotConfigured(
                    "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (not a GitHub Actions job with id-token: write)".into(),
                ));
            };
            let client_id = require(&settings.client_id, "AZURE_CLIENT_ID")?;
            let tenant_id = require(&settings.tenant_id, "AZURE_TENANT_ID")?;
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|error| AttemptOutcome::Failed(error.to_string()))?;
            let assertion = GithubAssertion {
                settings: github.clone(),
                http,
            };
            let credential = ClientAssertionCredential::new(
                tenant_id.clone(),
                client_id.clone(),
                assertion,
                Some(ClientAssertionCredentialOptions {
                    client_options: settings.client_options(),
                }),
            )
            .map_err(setup_failed)?;
            Ok(credential)
        }
        SourceKind::ManagedIdentity => {
            if !settings.managed_identity {
                return Err(AttemptOutcome::Disabled);
            }
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: settings.client_id.clone().map(UserAssignedId::ClientId),
                client_options: settings.client_options(),
            };
            let credential = ManagedIdentityCredential::new(Some(options)).map_err(setup_failed)?;
            Ok(credential)
        }
        SourceKind::AzureCli => {
            if !settings.azure_cli {
                return Err(AttemptOutcome::Disabled);
            }
            let options = AzureCliCredentialOptions {
                tenant_id: settings.tenant_id.clone(),
                ..Default::default()
            };
            let credential = AzureCliCredential::new(Some(options)).map_err(setup_failed)?;
            Ok(credential)
        }
    }
}

const ORDER: [SourceKind; 5] = [
    SourceKind::ServicePrincipal,
    SourceKind::WorkloadIdentity,
    SourceKind::GithubOidc,
    SourceKind::ManagedIdentity,
    SourceKind::AzureCli,
];

#[derive(Default)]
struct ChainState {
    chosen: Option<(SourceKind, Arc<dyn TokenCredential>)>,
    cached: Option<AccessToken>,
}

/// The chain at run time: finds a working source once, then caches its tokens until
/// shortly before they expire.
pub(crate) struct ChainCredential {
    settings: ChainSettings,
    state: tokio::sync::Mutex<ChainState>,
}

impl fmt::Debug for ChainCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainCredential")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ChainCredential {
    pub(crate) fn new(settings: ChainSettings) -> Self {
        ChainCredential {
            settings,
            state: tokio::sync::Mutex::new(ChainState::default()),
        }
    }

    async fn fetch(
        &self,
        kind: SourceKind,
        credential: &Arc<dyn TokenCredential>,
    ) -> Result<AccessToken, String> {
        let scopes = [self.settings.scope()];
        let request = credential.get_token(&scopes, None);
        let result = if kind == SourceKind::ManagedIdentity {
            match tokio::time::timeout(self.settings.managed_identity_timeout, request).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(format!(
                        "no answer within {}s (not running on Azure?)",
                        self.settings.managed_identity_timeout.as_secs_f64()
                    ));
                }
            }
        } else {
            request.await
        };
        result.map_err(|error| error.to_string())
    }

    /// Forgets the token (ARM said 401); the next request fetches a new one. The chosen
    /// source is dropped too: azure_identity 1.0 credentials cache tokens internally and
    /// have no "force refresh", so a fresh instance is the way to a fresh token.
    pub(crate) async fn invalidate(&self) {
        let mut state = self.state.lock().await;
        state.cached = None;
        state.chosen = None;
    }

    /// A bearer token for ARM.
    pub(crate) async fn token(&self) -> Result<SecretString, CredentialError> {
        let mut state = self.state.lock().await;
        if let Some(token) = &state.cached
            && token.expires_on - EXPIRY_MARGIN > time::OffsetDateTime::now_utc()
        {
            return Ok(SecretString::new(token.token.secret()));
        }
        if let Some((kind, credential)) = state.chosen.clone() {
            let token = self.fetch(kind, &credential).await.map_err(|message| {
                CredentialError::RefreshFailed {
                    source_kind: kind,
                    message,
                }
            })?;
            let secret = SecretString::new(token.token.secret());
            state.cached = Some(token);
            return Ok(secret);
        }
        let mut attempts = Vec::new();
        for kind in ORDER {
            let credential = match setup(kind, &self.settings) {
                Ok(credential) => credential,
                Err(outcome) => {
                    let stop = kind.is_explicit() && matches!(outcome, AttemptOutcome::Failed(_));
                    attempts.push(Attempt {
                        source: kind,
                        outcome,
                    });
                    if stop {
                        return Err(CredentialError::NoCredential { attempts });
                    }
                    continue;
                }
            };
            match self.fetch(kind, &credential).await {
                Ok(token) => {
                    tracing::debug!(source = kind.label(), "Azure credential found");
                    let secret = SecretString::new(token.token.secret());
                    state.chosen = Some((kind, credential));
                    state.cached = Some(token);
                    return Ok(secret);
                }
                Err(message) => {
                    attempts.push(Attempt {
                        source: kind,
                        outcome: AttemptOutcome::Failed(message),
                    });
                    if kind.is_explicit() {
                        return Err(CredentialError::NoCredential { attempts });
                    }
                }
            }
        }
        Err(CredentialError::NoCredential { attempts })
    }
}

/// A [`Credential`] at run time: where the bearer token of each request comes from.
// Built once per client; boxing the chain would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum TokenSource {
    /// [`LOCAL_TOKEN`], for the loopback emulator.
    Local,
    /// A token obtained elsewhere.
    Static(SecretString),
    /// The credential chain, with its token cache.
    Chain(ChainCredential),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Local => f.write_str("Local"),
            TokenSource::Static(_) => f.write_str("Static(<redacted>)"),
            TokenSource::Chain(chain) => write!(f, "{chain:?}"),
        }
    }
}

impl TokenSource {
    pub(crate) fn new(credential: &Credential) -> Self {
        match credential {
            Credential::None => TokenSource::Local,
            Credential::Static(token) => TokenSource::Static(token.clone()),
            Credential::Chain(settings) => {
                TokenSource::Chain(ChainCredential::new(settings.clone()))
            }
        }
    }

    /// The bearer token for the next request.
    pub(crate) async fn token(&self) -> Result<SecretString, CredentialError> {
        match self {
            TokenSource::Local => Ok(SecretString::new(LOCAL_TOKEN)),
            TokenSource::Static(token) => Ok(token.clone()),
            TokenSource::Chain(chain) => chain.token().await,
        }
    }

    /// True when a fresh token can be had after ARM answered 401 (the chain; a local or static
    /// token stays what it is).
    pub(crate) fn refreshable(&self) -> bool {
        matches!(self, TokenSource::Chain(_))
    }

    /// Forgets a cached token (see [`ChainCredential::invalidate`]); a no-op when not
    /// [`TokenSource::refreshable`].
    pub(crate) async fn invalidate(&self) {
        if let TokenSource::Chain(chain) = self {
            chain.invalidate().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn from_env_reads_the_documented_variables_and_ignores_empty_ones() {
        let settings = ChainSettings::from_env(vars(&[
            ("AZURE_CLIENT_ID", "cid"),
            ("AZURE_TENANT_ID", "tid"),
            ("AZURE_CLIENT_SECRET", ""),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://gh.example/token?api-version=2.0",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"),
            ("UNRELATED", "x"),
        ]));
        assert_eq!(settings.client_id.as_deref(), Some("cid"));
        assert_eq!(settings.tenant_id.as_deref(), Some("tid"));
        assert!(settings.client_secret.is_none());
        assert_eq!(
            settings.federated_token_file,
            Some(PathBuf::from("/var/run/token"))
        );
        let github = settings
            .github_oidc
            .as_ref()
            .map(|g| g.request_url.as_str());
        assert_eq!(github, Some("https://gh.example/token?api-version=2.0"));
        assert!(settings.managed_identity && settings.azure_cli);
        assert_eq!(settings.scope(), "https://management.azure.com/.default");
    }

    #[test]
    fn loopback_endpoints_need_no_credential() {
        let local = url::Url::parse("http://127.0.0.1:8080").expect("url");
        assert!(matches!(
            Credential::for_endpoint(&local, ChainSettings::default()),
            Credential::None
        ));
        let azure = url::Url::parse("https://management.azure.com").expect("url");
        assert!(matches!(
            Credential::for_endpoint(&azure, ChainSettings::default()),
            Credential::Chain(_)
        ));
    }
}
