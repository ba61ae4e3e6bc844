//! Signed tokens for the links in residents' emails (confirm, manage, unsubscribe) and for CSRF:
//! HMAC-SHA256 over the purpose and the fields, so a token for one purpose is useless for another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::path::Path;

// Kept at their old path for the services that use them; they live below every room.
pub use crate::random::{random_bytes, random_id};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

impl Signer {
    pub fn new(key: &[u8]) -> Signer {
        Signer { key: key.to_vec() }
    }

    /// The configured key, or the one kept in `<data_dir>/secret.key`, made on first start.
    pub fn from_config(secret_key: &str, data_dir: &Path) -> anyhow::Result<Signer> {
        use anyhow::Context;
        if !secret_key.is_empty() {
            anyhow::ensure!(
                secret_key.len() >= 32,
                "secret_key must be at least 32 characters long"
            );
            return Ok(Signer::new(secret_key.as_bytes()));
        }
        let path = data_dir.join("secret.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let key = hex::decode(existing.trim())
                .with_context(|| format!("{} is not a hex key", path.display()))?;
            anyhow::ensure!(key.len() >= 32, "{} holds too short a key", path.display());
            return Ok(Signer::new(&key));
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let key = random_bytes(32);
        write_private(&path, hex::encode(&key).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Signer::new(&key))
    }

    fn mac(&self, purpose: &str, payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(payload.as_bytes());
        mac
    }

    /// `fields` must not contain `:`.
    pub fn sign(&self, purpose: &str, fields: &[&str]) -> String {
        let payload = fields.join(":");
        let tag = self.mac(purpose, &payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The fields of a token signed for `purpose`, or `None` if it was altered or is for
    /// something else.
    pub fn verify(&self, purpose: &str, token: &str) -> Option<Vec<String>> {
        if token.len() > 2048 {
            return None;
        }
        let (payload, tag) = token.split_once('.')?;
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(purpose, &payload).verify_slice(&tag).ok()?;
        Some(payload.split(':').map(str::to_owned).collect())
    }
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Constant-time comparison of two strings (for codes and hashes).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_purpose_and_unaltered() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let token = signer.sign("manage", &["abc123", "1"]);
        assert_eq!(
            signer.verify("manage", &token).unwrap(),
            vec!["abc123", "1"]
        );
        assert!(signer.verify("unsubscribe", &token).is_none());
        let forged = signer.sign("manage", &["abc124", "1"]);
        let (_, tag) = token.split_once('.').unwrap();
        let (payload, _) = forged.split_once('.').unwrap();
        assert!(signer
            .verify("manage", &format!("{payload}.{tag}"))
            .is_none());
        let other = Signer::new(b"another-key-another-key-another-");
        assert!(other.verify("manage", &token).is_none());
        assert!(signer.verify("manage", "garbage").is_none());
    }

    #[test]
    fn the_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Signer::from_config("", dir.path()).unwrap();
        let second = Signer::from_config("", dir.path()).unwrap();
        assert_eq!(first.key, second.key);
        assert!(Signer::from_config("short", dir.path()).is_err());
    }
}
