//! Credentials and region from the usual AWS sources, for pointing the
//! oracle at a real service: the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
//! `AWS_DEFAULT_REGION`, `AWS_PROFILE`), then the shared credentials and
//! config files (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`;
//! `AWS_CONFIG_FILE`, default `~/.aws/config`) with a profile. Without any,
//! the documentation example credentials (accepted by emulators).

use super::http::Credentials;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What was found, and where.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The credentials to sign with.
    pub credentials: Credentials,
    /// The region of the profile or the environment, if any.
    pub region: Option<String>,
    /// Where the credentials came from (never the secret), for the log.
    pub source: String,
}

/// An INI file as sections of `key = value` (comments `#` and `;`).
pub fn parse_ini(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

fn home_file(var: &str, default: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = env(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    env("HOME").map(|h| PathBuf::from(h).join(default))
}

fn from_section(s: &BTreeMap<String, String>) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: s.get("aws_access_key_id")?.clone(),
        secret_access_key: s.get("aws_secret_access_key")?.clone(),
        session_token: s
            .get("aws_session_token")
            .or_else(|| s.get("aws_security_token"))
            .cloned(),
    })
}

/// Resolves credentials and region with `profile` (else `AWS_PROFILE`, else
/// `default`) from the process environment.
pub fn resolve(profile: Option<&str>) -> Resolved {
    resolve_with(profile, &|k| std::env::var(k).ok(), &|p| {
        std::fs::read_to_string(p).ok()
    })
}

/// [`resolve`] with an explicit environment and file reader (for tests).
pub fn resolve_with(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Resolved {
    let env_region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty());
    let explicit_profile = profile.is_some();
    let profile = profile
        .map(str::to_string)
        .or_else(|| env("AWS_PROFILE").filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    let config = home_file("AWS_CONFIG_FILE", ".aws/config", env)
        .and_then(|p| read(&p))
        .map(|t| parse_ini(&t))
        .unwrap_or_default();
    let config_section = config.get(&format!("profile {profile}")).or_else(|| {
        (profile == "default")
            .then(|| config.get("default"))
            .flatten()
    });
    let region = env_region.or_else(|| config_section.and_then(|s| s.get("region").cloned()));
    if !explicit_profile
        && let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        && !id.is_empty()
    {
        return Resolved {
            credentials: Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN").filter(|t| !t.is_empty()),
            },
            region,
            source: "the environment (AWS_ACCESS_KEY_ID)".into(),
        };
    }
    let shared = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", env)
        .and_then(|p| read(&p))
        .map(|t| parse_ini(&t))
        .unwrap_or_default();
    if let Some(c) = shared.get(&profile).and_then(from_section) {
        return Resolved {
            credentials: c,
            region,
            source: format!("the shared credentials file, profile {profile}"),
        };
    }
    if let Some(c) = config_section.and_then(from_section) {
        return Resolved {
            credentials: c,
            region,
            source: format!("the shared config file, profile {profile}"),
        };
    }
    Resolved {
        credentials: Credentials::default(),
        region,
        source: "the documentation example credentials (none configured)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(path: &Path) -> Option<String> {
        match path.to_str()? {
            "/h/.aws/credentials" => Some(
                "[default]\naws_access_key_id = AKD\naws_secret_access_key = sd\n\n[ci]\naws_access_key_id=AKC\naws_secret_access_key=sc\naws_session_token = tok\n".into(),
            ),
            "/h/.aws/config" => Some(
                "# c\n[default]\nregion = eu-west-1\n[profile ci]\nregion = ap-south-1\n".into(),
            ),
            _ => None,
        }
    }

    #[test]
    fn environment_first_then_profiles() {
        let env = |k: &str| match k {
            "HOME" => Some("/h".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("AKE".into()),
            "AWS_SECRET_ACCESS_KEY" => Some("se".into()),
            "AWS_SESSION_TOKEN" => Some("st".into()),
            _ => None,
        };
        let r = resolve_with(None, &env, &files);
        assert_eq!(r.credentials.access_key_id, "AKE");
        assert_eq!(r.credentials.session_token.as_deref(), Some("st"));
        assert_eq!(r.region.as_deref(), Some("eu-west-1"));
        let r = resolve_with(Some("ci"), &env, &files);
        assert_eq!(r.credentials.access_key_id, "AKC");
        assert_eq!(r.credentials.session_token.as_deref(), Some("tok"));
        assert_eq!(r.region.as_deref(), Some("ap-south-1"));
        let home = |k: &str| (k == "HOME").then(|| "/h".to_string());
        let r = resolve_with(None, &home, &files);
        assert_eq!(r.credentials.access_key_id, "AKD");
        let none = |_: &str| None;
        let r = resolve_with(None, &none, &files);
        assert_eq!(r.credentials, Credentials::default());
    }
}
