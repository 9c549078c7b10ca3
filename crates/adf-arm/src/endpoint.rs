//! The ARM endpoint and the URLs that may carry our bearer token: which endpoints are
//! acceptable, how an ARM path becomes a URL, and which links ARM hands back may be followed.
//! Pure URL rules; errors are plain text the caller wraps.

use url::Url;

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// Refuses an endpoint that would carry tokens in clear (`http://` that is not loopback), a
/// scheme other than http(s), and an endpoint without a host.
pub(crate) fn check(endpoint: &Url) -> Result<(), String> {
    match endpoint.scheme() {
        "https" => {}
        "http" if is_loopback(endpoint) => {}
        "http" => {
            return Err(format!(
                "refusing to send Azure credentials over plain http to {endpoint}; use an https endpoint, or a loopback address (http://127.0.0.1:PORT) for the local emulator"
            ));
        }
        other => {
            return Err(format!(
                "unsupported endpoint scheme '{other}' in {endpoint}; expected https"
            ));
        }
    }
    if endpoint.host().is_none() {
        return Err(format!("endpoint {endpoint} has no host"));
    }
    Ok(())
}

/// `endpoint + path + ?api-version=`.
pub(crate) fn resource_url(endpoint: &Url, path: &str, api_version: &str) -> Result<Url, String> {
    if !path.starts_with('/') {
        return Err(format!("ARM path must start with '/': {path}"));
    }
    let base = endpoint.as_str().trim_end_matches('/');
    let mut url = Url::parse(&format!("{base}{path}"))
        .map_err(|error| format!("invalid ARM path {path}: {error}"))?;
    url.query_pairs_mut()
        .append_pair("api-version", api_version);
    Ok(url)
}

/// Parses a URL ARM handed us (`nextLink`, `Location`, `Azure-AsyncOperation`) and checks it
/// points at `endpoint`, so the bearer token never goes to another host.
pub(crate) fn follow_link(endpoint: &Url, link: &str) -> Result<Url, String> {
    let url = Url::parse(link).map_err(|error| format!("link is not an absolute URL: {error}"))?;
    if url.origin() != endpoint.origin() {
        return Err(format!(
            "refusing to follow a link to {} (not the ARM endpoint {})",
            url.origin().ascii_serialization(),
            endpoint.origin().ascii_serialization()
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for (text, expected) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.1.2.3", true),
            ("http://localhost:1", true),
            ("http://LOCALHOST", true),
            ("http://[::1]:9000", true),
            ("http://10.0.0.1", false),
            ("https://management.azure.com", false),
            ("http://localhost.evil.example", false),
        ] {
            let url = Url::parse(text).expect("url");
            assert_eq!(is_loopback(&url), expected, "{text}");
        }
    }

    #[test]
    fn links_must_stay_on_the_endpoint() {
        let endpoint = Url::parse("https://management.azure.com").expect("url");
        assert!(follow_link(&endpoint, "https://management.azure.com/op?x=1").is_ok());
        assert!(follow_link(&endpoint, "https://evil.example/op").is_err());
        assert!(follow_link(&endpoint, "http://management.azure.com/op").is_err());
        assert!(follow_link(&endpoint, "/relative").is_err());
    }

    #[test]
    fn resource_urls_append_the_api_version() {
        let endpoint = Url::parse("http://127.0.0.1:8080/").expect("url");
        assert_eq!(
            resource_url(&endpoint, "/subscriptions/s", "2021-04-01")
                .expect("url")
                .as_str(),
            "http://127.0.0.1:8080/subscriptions/s?api-version=2021-04-01"
        );
        assert!(resource_url(&endpoint, "subscriptions/s", "2021-04-01").is_err());
    }
}
