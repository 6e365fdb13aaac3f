//! The node's integration tests, one module per file, in one binary (each binary links the
//! whole node: one per file filled a CI disk).

mod cli;
mod durable_commit;
mod nested_calls;
mod preverified;
mod pruning;
mod rpc_auth;
mod rpc_limits;
mod spec_v2;
