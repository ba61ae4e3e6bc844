//! Randomness from the operating system's generator: bytes, and identifiers made of them. A
//! leaf that every room may use (the signing key and link tokens in `services`, journal names
//! and gateway ids in `delivery`); it depends on nothing in the crate.

use rand::RngCore;

pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// A random identifier for links: 128 bits, hex.
pub fn random_id() -> String {
    hex::encode(random_bytes(16))
}
