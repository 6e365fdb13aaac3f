//! # Carechain node
//!
//! The parts of the `carechain` binary, in the order data flows through them: JSON-RPC
//! ([`rpc`]) hands transactions to the pool ([`pool`]), whose signatures are verified in
//! batches ([`signatures`]); consensus ([`consensus`], Malachite) builds blocks from the pool
//! and commits decided blocks through the chain ([`client`]), which executes the runtime
//! natively ([`executor`]) over state stored in parity-db ([`db`]). Whatever arrives from
//! outside decodes within the size and depth limits of [`decode`]. Beside them, the record
//! vault ([`vault`]) serves encrypted blobs to callers the chain allows, and
//! [`vault_audit`] checks a vault against the chain.

// The lint guards on-chain balances and counters; the node's arithmetic is on durations,
// indices and sizes whose ranges it bounds itself.
#![allow(clippy::arithmetic_side_effects)]

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmark;
pub mod chain_spec;
pub mod challenge;
pub mod client;
pub mod consensus;
pub mod db;
pub mod decode;
pub mod epcis_rest;
pub mod executor;
pub mod extrinsic;
pub mod fhir_rest;
pub mod keys;
pub mod panics;
pub mod pool;
pub mod portal;
pub mod privacy_scan;
pub mod prometheus;
pub mod provenance_import;
pub mod registry;
pub mod rpc;
pub mod runtime_identity;
pub mod service;
pub mod signatures;
pub mod vault;
pub mod vault_audit;
