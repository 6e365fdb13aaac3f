//! # Carechain record vault
//!
//! What the chain needs off chain to hold medical records without ever seeing them:
//!
//! - [`envelope`]: a FHIR R4 payload ([`fhir`] validates it) is sealed under a fresh data key
//!   with XChaCha20-Poly1305; the data key is wrapped to readers' X25519 keys with HPKE. The
//!   blob id, blake2b-256 of the ciphertext, is what pallet-records stores.
//! - [`store`]: content-addressed blob stores behind one trait, on local disk (the node's
//!   default) or in an S3-compatible bucket.
//! - [`access`]: the exact bytes a wallet signs to upload to or read from a node's vault.
//! - [`audit`]: hashing every stored blob in GPU batches (`carechain-gpu`, CPU fallback) and
//!   comparing with the chain, to find missing, corrupted and orphaned blobs.
//!
//! The node serves the vault over JSON-RPC (`vault_*`); wallets (client-js) and the tests use
//! the same formats.

// Sizes and counters here are bounded by the store and the batch limits.
#![allow(clippy::arithmetic_side_effects)]

pub mod access;
pub mod audit;
pub mod envelope;
pub mod fhir;
pub mod store;
pub mod testing;

pub use envelope::{
	content_hash, open, seal, seal_fhir, unwrap_key, wrap_key, DataKey, EnvelopeError, PublicKey,
	Sealed, SecretKey,
};
pub use store::{BlobId, BlobStore, LocalStore, S3Settings, S3Store, StoreError};
