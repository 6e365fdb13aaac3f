//! End-to-end tests on real `carechain` processes, one module per file, in one binary.

mod consortium;
mod crash;
mod dev_node;
mod garbage;
mod nested_calls;
mod pool_race;
mod rpc_auth;
mod vault;
mod vault_durable;
mod vault_flood;
