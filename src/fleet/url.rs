//! The broker address of `--mqtt`: `mqtt[s]://[user@]host[:port][/prefix]`.
//!
//! A password never goes in the URL (it would sit in the shell history and in `ps`): `user:pw@`
//! is refused with a pointer to `TOWERWATCH_MQTT_PASSWORD` / `--mqtt-password-file`.

use super::FleetError;

/// The topic prefix when the URL names none.
pub const DEFAULT_PREFIX: &str = "towerwatch";

/// A parsed `--mqtt` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// `mqtts://`: TLS (rustls).
    pub tls: bool,
    /// User name, if any.
    pub user: Option<String>,
    /// Host name or address (IPv6 without its brackets).
    pub host: String,
    /// TCP port (default 1883, or 8883 with TLS).
    pub port: u16,
    /// Topic prefix (default `towerwatch`): topics are `<prefix>/v1/<sensor>/<leaf>`.
    pub prefix: String,
}

fn bad(url: &str, why: &str) -> FleetError {
    FleetError::Url(format!("{url:?}: {why}"))
}

impl BrokerUrl {
    /// Parse `mqtt[s]://[user@]host[:port][/prefix]`.
    pub fn parse(url: &str) -> Result<BrokerUrl, FleetError> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("mqtt://") {
            (false, r)
        } else {
            return Err(bad(url, "the URL must start with mqtt:// or mqtts://"));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => {
                if u.contains(':') {
                    // Not quoted back: the message would print the password.
                    return Err(FleetError::Url(
                        "no password in the URL (it would show in ps and the shell history): \
                         set TOWERWATCH_MQTT_PASSWORD or use --mqtt-password-file"
                            .into(),
                    ));
                }
                if u.is_empty() {
                    return Err(bad(url, "empty user name before '@'"));
                }
                (Some(u.to_string()), h)
            }
            None => (None, authority),
        };
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| bad(url, "unclosed '[' in the host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(url, p)?,
                None if after.is_empty() => default_port,
                None => return Err(bad(url, "junk after the IPv6 address")),
            };
            (h.to_string(), port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h.to_string(), parse_port(url, p)?),
                None => (hostport.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad(url, "no host"));
        }
        let prefix = path.trim_end_matches('/');
        let prefix = if prefix.is_empty() {
            DEFAULT_PREFIX.to_string()
        } else {
            if prefix
                .split('/')
                .any(|s| s.is_empty() || s.contains(['+', '#']))
            {
                return Err(bad(
                    url,
                    "the topic prefix must be non-empty levels without '+' or '#'",
                ));
            }
            prefix.to_string()
        };
        Ok(BrokerUrl {
            tls,
            user,
            host,
            port,
            prefix,
        })
    }
}

fn parse_port(url: &str, p: &str) -> Result<u16, FleetError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad(url, "the port must be a number 1-65535")),
    }
}

impl std::fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        let user = self
            .user
            .as_ref()
            .map_or(String::new(), |u| format!("{u}@"));
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{user}{host}:{}/{}", self.port, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn full_and_minimal_urls() {
        let u = BrokerUrl::parse("mqtts://sensor7@broker.example:9000/city/north").unwrap();
        assert!(u.tls);
        assert_eq!(u.user.as_deref(), Some("sensor7"));
        assert_eq!((u.host.as_str(), u.port), ("broker.example", 9000));
        assert_eq!(u.prefix, "city/north");
        let u = BrokerUrl::parse("mqtt://127.0.0.1").unwrap();
        assert_eq!(
            (u.port, u.prefix.as_str(), u.user),
            (1883, "towerwatch", None)
        );
        assert_eq!(BrokerUrl::parse("mqtts://h/").unwrap().port, 8883);
        let u = BrokerUrl::parse("mqtt://[::1]:1884").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 1884));
        assert_eq!(u.to_string(), "mqtt://[::1]:1884/towerwatch");
    }

    #[test]
    fn refused_urls_say_why() {
        for (url, why) in [
            ("mqtt://u:secret@h", "no password in the URL"),
            ("http://h", "mqtt://"),
            ("mqtt://h:0", "port"),
            ("mqtt://h:99999", "port"),
            ("mqtt://:1883", "no host"),
            ("mqtt://h/a/+/b", "prefix"),
            ("mqtt://h/a//b", "prefix"),
            ("mqtt://[::1", "unclosed"),
        ] {
            let e = BrokerUrl::parse(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }
}
