//! The new JSON-RPC spec (paritytech/json-rpc-interface-spec), as polkadot-api, substrate-connect
//! and new wallets speak it: `chainHead_v1_*` ([`chain_head`]), `chainSpec_v1_*`,
//! `transaction_v1_*` and `transactionWatch_v1_*` ([`transaction`]), and `archive_v1_*`
//! ([`archive`]).
//!
//! They reuse what the legacy methods use: the finalized-block notifications
//! (`chain_subscribeFinalizedHeads`), the state and runtime calls (`state_getStorage`,
//! `state_call`) and the pool submission (`author_submitAndWatchExtrinsic`). With
//! authentication on, each call is classed as its legacy twin is
//! ([`crate::rpc::auth::class`]): following and headers are public, bodies and raw state are
//! for members, and runtime calls are public only for the runtime's version and metadata.

pub mod api;
pub mod archive;
pub mod chain_head;
pub mod transaction;

#[cfg(test)]
mod tests;

use crate::service::Node;
use api::{
	ArchiveApiServer, ChainHeadApiServer, ChainSpecApiServer, TransactionApiServer,
	TransactionWatchApiServer,
};
use jsonrpsee::RpcModule;
use std::sync::Arc;

/// Every method of the new spec over `node`, which runs `spec`.
pub fn module(
	node: Arc<Node>,
	spec: Arc<crate::chain_spec::ChainSpec>,
	limits: chain_head::Limits,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
	let mut module = RpcModule::new(());
	module.merge(chain_head::ChainHead::new(node.clone(), limits).into_rpc())?;
	module.merge(transaction::ChainSpecRpc { node: node.clone(), spec }.into_rpc())?;
	module.merge(archive::Archive::new(node.clone(), Default::default()).into_rpc())?;
	let transactions = transaction::Transactions::new(node);
	module.merge(TransactionApiServer::into_rpc(transactions.clone()))?;
	module.merge(TransactionWatchApiServer::into_rpc(transactions))?;
	Ok(module)
}
