//! The plain-data view of one ARM request and reply, and the route table.
//!
//! ARM matches paths case-insensitively and the SDKs send mixed casings (`resourcegroups` vs
//! `resourceGroups`, `queryActivityruns`), so routing compares lowercased segments instead of
//! using axum's (case-sensitive) router.

use crate::wire::ArmError;
use adf_core::Kind;
use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use serde_json::Value;

/// One ARM request, decoded.
#[derive(Debug, Clone)]
pub(crate) struct ArmRequest {
    pub method: Method,
    /// Query pairs, percent-decoded.
    pub query: Vec<(String, String)>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    /// `http://host:port`, for absolute `nextLink` and `Location` URLs.
    pub base_url: String,
    /// The raw path, for `nextLink`.
    pub path: String,
    pub body: Bytes,
}

impl ArmRequest {
    /// A query parameter (names compare case-insensitively).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; an empty body is `null`.
    pub fn json(&self) -> Result<Value, ArmError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            // ARM's wording for unparsable bodies (UNVERIFIED beyond the code).
            ArmError::arm(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContent",
                format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        })
    }
}

/// A reply before the HTTP layer adds the common headers.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    /// A JSON body already rendered as text (a list page assembled from stored renderings);
    /// sent as it is, in place of `body`.
    pub text: Option<String>,
}

impl Reply {
    pub fn json(status: StatusCode, body: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
            text: None,
        }
    }

    /// A JSON body already rendered as text.
    pub fn json_text(status: StatusCode, text: String) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
            text: Some(text),
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
            text: None,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<ArmError> for Reply {
    fn from(error: ArmError) -> Self {
        Reply {
            status: error.status,
            body: Some(error.body()),
            text: None,
            headers: error.headers,
        }
    }
}

/// The factory a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FactoryPath {
    pub subscription: String,
    pub group: String,
    pub factory: String,
}

/// Which api-versions a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiFamily {
    Resources,
    DataFactory,
}

/// Every route the emulator serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Groups {
        subscription: String,
    },
    Group {
        subscription: String,
        group: String,
    },
    GroupResources {
        subscription: String,
        group: String,
    },
    SubscriptionResources {
        subscription: String,
    },
    OperationResult {
        subscription: String,
        token: String,
    },
    SubscriptionFactories {
        subscription: String,
    },
    GroupFactories {
        subscription: String,
        group: String,
    },
    Factory(FactoryPath),
    Children(FactoryPath, Kind),
    /// A child entity. A managed private endpoint's name is `{vnet}/{endpoint}`: it lives
    /// under its managed virtual network.
    Child(FactoryPath, Kind, String),
    /// `…/managedVirtualNetworks/{vnet}/managedPrivateEndpoints`: the endpoints of one VNet.
    PrivateEndpoints(FactoryPath, String),
    ChildAction(FactoryPath, Kind, String, String),
    FactoryAction(FactoryPath, String),
    PipelineRun(FactoryPath, String),
    PipelineRunAction(FactoryPath, String, String),
    /// A path the emulator does not serve; the payload names the resource type, if any.
    Unknown(Option<String>),
}

impl Route {
    /// Parses decoded path segments.
    pub fn parse(segments: &[String]) -> Route {
        let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let seg = |i: usize| segments[i].clone();
        match lower.as_slice() {
            ["subscriptions", _, "resourcegroups"] => Route::Groups {
                subscription: seg(1),
            },
            ["subscriptions", _, "resourcegroups", _] => Route::Group {
                subscription: seg(1),
                group: seg(3),
            },
            ["subscriptions", _, "resourcegroups", _, "resources"] => Route::GroupResources {
                subscription: seg(1),
                group: seg(3),
            },
            ["subscriptions", _, "resources"] => Route::SubscriptionResources {
                subscription: seg(1),
            },
            ["subscriptions", _, "operationresults", _] => Route::OperationResult {
                subscription: seg(1),
                token: seg(3),
            },
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.datafactory",
                "factories",
            ] => Route::SubscriptionFactories {
                subscription: seg(1),
            },
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.datafactory",
                "factories",
                rest @ ..,
            ] => {
                let subscription = seg(1);
                let group = seg(3);
                let Some(factory) = rest.first().map(|_| seg(7)) else {
                    return Route::GroupFactories {
                        subscription,
                        group,
                    };
                };
                let at = FactoryPath {
                    subscription,
                    group,
                    factory,
                };
                Route::factory_route(at, &rest[1..], &segments[8..])
            }
            _ => Route::Unknown(None),
        }
    }

    fn factory_route(at: FactoryPath, lower: &[&str], original: &[String]) -> Route {
        match lower {
            [] => Route::Factory(at),
            ["pipelineruns", _] => Route::PipelineRun(at, original[1].clone()),
            ["managedvirtualnetworks", _, "managedprivateendpoints"] => {
                Route::PrivateEndpoints(at, original[1].clone())
            }
            ["managedvirtualnetworks", _, "managedprivateendpoints", _] => Route::Child(
                at,
                Kind::ManagedPrivateEndpoint,
                format!("{}/{}", original[1], original[3]),
            ),
            ["pipelineruns", _, action] => {
                Route::PipelineRunAction(at, original[1].clone(), (*action).to_owned())
            }
            [segment] => match Kind::from_arm_segment(segment) {
                Some(kind) => Route::Children(at, kind),
                None if matches!(
                    *segment,
                    "querypipelineruns" | "querytriggerruns" | "querytriggers"
                ) =>
                {
                    Route::FactoryAction(at, (*segment).to_owned())
                }
                None => Route::Unknown(Some(original[0].clone())),
            },
            [segment, _] => match Kind::from_arm_segment(segment) {
                Some(kind) => Route::Child(at, kind, original[1].clone()),
                None => Route::Unknown(Some(original[0].clone())),
            },
            [segment, _, action] => match Kind::from_arm_segment(segment) {
                Some(kind) => {
                    Route::ChildAction(at, kind, original[1].clone(), (*action).to_owned())
                }
                None => Route::Unknown(Some(original[0].clone())),
            },
            _ => Route::Unknown(original.first().cloned()),
        }
    }

    /// The api-version family of the route.
    pub fn family(&self) -> ApiFamily {
        match self {
            Route::Groups { .. }
            | Route::Group { .. }
            | Route::GroupResources { .. }
            | Route::SubscriptionResources { .. }
            | Route::OperationResult { .. } => ApiFamily::Resources,
            _ => ApiFamily::DataFactory,
        }
    }

    /// The subscription the route addresses (throttling is per subscription).
    pub fn subscription(&self) -> Option<&str> {
        match self {
            Route::Groups { subscription }
            | Route::Group { subscription, .. }
            | Route::GroupResources { subscription, .. }
            | Route::SubscriptionResources { subscription }
            | Route::OperationResult { subscription, .. }
            | Route::SubscriptionFactories { subscription }
            | Route::GroupFactories { subscription, .. } => Some(subscription),
            Route::Factory(at)
            | Route::Children(at, _)
            | Route::Child(at, _, _)
            | Route::PrivateEndpoints(at, _)
            | Route::ChildAction(at, _, _, _)
            | Route::FactoryAction(at, _)
            | Route::PipelineRun(at, _)
            | Route::PipelineRunAction(at, _, _) => Some(&at.subscription),
            Route::Unknown(_) => None,
        }
    }
}

/// Decodes `%XX` escapes (and leaves malformed ones as they are).
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a path segment or query value (RFC 3986 unreserved characters stay as they are).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Splits a raw query string into decoded pairs.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> Route {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode(s, false))
            .collect();
        Route::parse(&segments)
    }

    #[test]
    fn routes_match_case_insensitively_and_keep_names() {
        assert_eq!(
            route("/subscriptions/s/resourcegroups/MyRG"),
            route("/SUBSCRIPTIONS/s/resourceGroups/MyRG")
        );
        let at = FactoryPath {
            subscription: "s".into(),
            group: "rg".into(),
            factory: "F1".into(),
        };
        assert_eq!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/microsoft.datafactory/factories/F1/LinkedServices/My%20LS"
            ),
            Route::Child(at.clone(), Kind::LinkedService, "My LS".into())
        );
        assert_eq!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/F1/pipelineruns/r1/queryActivityruns"
            ),
            Route::PipelineRunAction(at.clone(), "r1".into(), "queryactivityruns".into())
        );
        assert_eq!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/F1/adfcdcs"
            ),
            Route::Children(at.clone(), Kind::ChangeDataCapture)
        );
        assert_eq!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/F1/managedVirtualNetworks/default/managedPrivateEndpoints/pe1"
            ),
            Route::Child(
                at.clone(),
                Kind::ManagedPrivateEndpoint,
                "default/pe1".into()
            )
        );
        assert_eq!(
            route(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/F1/privateEndPointConnections"
            ),
            Route::Unknown(Some("privateEndPointConnections".into()))
        );
    }

    #[test]
    fn percent_coding_round_trips() {
        assert_eq!(percent_decode("a%20b%2Fc%", false), "a b/c%");
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
        assert_eq!(
            parse_query("api-version=2018-06-01&%24skipToken=x%3D"),
            vec![
                ("api-version".to_string(), "2018-06-01".to_string()),
                ("$skipToken".to_string(), "x=".to_string())
            ]
        );
    }
}
