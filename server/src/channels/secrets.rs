//! Secrets at rest: a channel's passwords, gateway keys and signing secrets are sealed with
//! AES-256-GCM under a key from the server's configuration, never from the database, so a
//! copy of the database (a backup, a replica, a dump handed to a vendor) holds no usable
//! secret. The key is `TRELLIS_SECRET_KEY` (32 random bytes in base64: `openssl rand
//! -base64 32`) or the file `TRELLIS_SECRET_KEY_FILE` holding it.
//!
//! A sealed text is `v1.<key id>.<base64 of nonce, ciphertext and tag>`; the key id (the
//! first 8 hex digits of the key's SHA-256) tells a server started with another key that
//! it cannot open it, rather than failing obscurely. What a secret is sealed for (the app
//! and channel) is bound in as associated data, so a sealed value copied to another
//! channel's row does not open there.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// The server's key for secrets at rest.
pub struct Sealer {
    key: LessSafeKey,
    id: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.id)
    }
}

impl Sealer {
    /// A sealer over 32 bytes of key.
    pub fn new(bytes: &[u8]) -> Result<Sealer, String> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| "a secret key is 32 bytes".to_owned())?;
        let id = hex::encode(&Sha256::digest(bytes)[..4]);
        Ok(Sealer { key: LessSafeKey::new(key), id })
    }

    /// A sealer over a key written in base64.
    pub fn from_base64(text: &str) -> Result<Sealer, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| "the secret key is not base64".to_owned())?;
        Sealer::new(&bytes)
    }

    /// The key of `TRELLIS_SECRET_KEY` or `TRELLIS_SECRET_KEY_FILE`; `None` when neither is
    /// set (then nothing secret can be stored). A key that is set but unusable is an error:
    /// the server must not start as if it had none.
    pub fn from_env() -> Result<Option<Sealer>, String> {
        if let Ok(text) = std::env::var("TRELLIS_SECRET_KEY") {
            return Sealer::from_base64(&text).map(Some).map_err(|e| format!("TRELLIS_SECRET_KEY: {e}"));
        }
        let Ok(path) = std::env::var("TRELLIS_SECRET_KEY_FILE") else { return Ok(None) };
        let text = std::fs::read_to_string(&path).map_err(|e| format!("TRELLIS_SECRET_KEY_FILE `{path}`: {e}"))?;
        Sealer::from_base64(&text).map(Some).map_err(|e| format!("TRELLIS_SECRET_KEY_FILE `{path}`: {e}"))
    }

    /// `plain` sealed for `bound_to` (what it belongs to).
    pub fn seal(&self, plain: &str, bound_to: &str) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| "no randomness for a nonce".to_owned())?;
        let mut sealed = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(bound_to.as_bytes()), &mut sealed)
            .map_err(|_| "sealing failed".to_owned())?;
        let mut all = nonce.to_vec();
        all.extend(sealed);
        Ok(format!("v1.{}.{}", self.id, STANDARD.encode(all)))
    }

    /// What `sealed` holds, if it was sealed for `bound_to` under this key.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<String, String> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("not a sealed secret".to_owned());
        };
        if id != self.id {
            return Err(format!("sealed under another key ({id}); this server's is {}", self.id));
        }
        let mut all = STANDARD.decode(data).map_err(|_| "a sealed secret damaged".to_owned())?;
        if all.len() < NONCE_LEN {
            return Err("a sealed secret damaged".to_owned());
        }
        let rest = all.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&all).map_err(|_| "a sealed secret damaged".to_owned())?;
        let mut rest = rest;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(bound_to.as_bytes()), &mut rest)
            .map_err(|_| "a sealed secret does not open (damaged, or sealed for another channel)".to_owned())?;
        String::from_utf8(plain.to_vec()).map_err(|_| "a sealed secret is not text".to_owned())
    }
}
