//! `chainSpec_v1_*`, `transaction_v1_*` and `transactionWatch_v1_*`, over the pool submission
//! `author_submitExtrinsic` uses.

use super::api::*;
use crate::{
	client::extrinsic_hash,
	pool::PoolError,
	rpc::fate::{fate, Fate},
	service::Node,
};
use codec::Encode;
use jsonrpsee::{
	core::{async_trait, RpcResult, SubscriptionResult},
	types::{ErrorObject, ErrorObjectOwned},
	ConnectionId, Extensions, PendingSubscriptionSink, SubscriptionMessage,
};
use parking_lot::Mutex;
use serde_json::Value as Json;
use sp_core::{Bytes, H256};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Duration,
};
use tokio::sync::oneshot;

/// `transaction_v1_stop` of an operation this node does not know (or that ended).
pub const UNKNOWN_BROADCAST: i32 = -32602;

/// Broadcasts one connection may hold open (the spec guarantees 4).
pub const BROADCASTS_PER_CONNECTION: usize = 16;

/// How long a broadcast stays open without `transaction_v1_stop` when its transaction's fate
/// is not known sooner; it counts toward its connection's limit until then.
pub const BROADCAST_LIFETIME: Duration = Duration::from_secs(300);

/// `chainSpec_v1_*`.
pub struct ChainSpecRpc {
	/// The node.
	pub node: Arc<Node>,
	/// Its chain spec.
	pub spec: Arc<crate::chain_spec::ChainSpec>,
}

impl ChainSpecApiServer for ChainSpecRpc {
	fn chain_name(&self) -> RpcResult<String> {
		Ok(self.spec.name.clone())
	}

	fn genesis_hash(&self) -> RpcResult<H256> {
		Ok(self.node.client.genesis_hash())
	}

	fn properties(&self) -> RpcResult<Json> {
		Ok(self.spec.properties.clone())
	}
}

/// `transaction_v1_*` and `transactionWatch_v1_*`.
#[derive(Clone)]
pub struct Transactions {
	node: Arc<Node>,
	/// Open broadcasts: each one's connection and the sender that ends it.
	broadcasts: Arc<Mutex<HashMap<String, (ConnectionId, oneshot::Sender<()>)>>>,
	next: Arc<AtomicU64>,
}

impl Transactions {
	/// Over `node`'s pool.
	pub fn new(node: Arc<Node>) -> Self {
		Self { node, broadcasts: Arc::default(), next: Arc::new(AtomicU64::new(1)) }
	}

	/// The position of transaction `hash` in block `at`.
	fn index_in(&self, at: H256, hash: H256) -> Option<usize> {
		let body = self.node.client.body(at).ok()??;
		body.iter().position(|x| extrinsic_hash(&x.encode()) == hash)
	}
}

/// The event that ends a watch whose submission the pool refused: the transaction's own fault
/// is `invalid`, a full pool `dropped`, the node's failure `error`.
fn refused(error: PoolError) -> TransactionEvent {
	let error_text = error.to_string();
	match error {
		PoolError::Full { .. } | PoolError::TooLowPriority | PoolError::TemporarilyBanned(_) => {
			TransactionEvent::Dropped { error: error_text }
		}
		PoolError::Client(_) | PoolError::Closed => TransactionEvent::Error { error: error_text },
		PoolError::Decode(_)
		| PoolError::AlreadyImported(_)
		| PoolError::Invalid(_)
		| PoolError::Unknown(_)
		| PoolError::TooFarInFuture { .. } => TransactionEvent::Invalid { error: error_text },
	}
}

#[async_trait]
impl TransactionApiServer for Transactions {
	async fn broadcast(&self, ext: &Extensions, transaction: Bytes) -> RpcResult<Option<String>> {
		let connection = ext.get::<ConnectionId>().copied().unwrap_or(ConnectionId(usize::MAX));
		let (stop, stopped) = oneshot::channel();
		let id = {
			let mut broadcasts = self.broadcasts.lock();
			if broadcasts.values().filter(|(c, _)| *c == connection).count()
				>= BROADCASTS_PER_CONNECTION
			{
				return Ok(None);
			}
			let id = self.next.fetch_add(1, Ordering::Relaxed).to_string();
			broadcasts.insert(id.clone(), (connection, stop));
			id
		};
		self.node.metrics.rpc_calls.inc();
		let this = self.clone();
		let op = id.clone();
		tokio::spawn(async move {
			let mut finalized = this.node.finalized.subscribe();
			let mut pool = this.node.pool.subscribe();
			let submitted = this.node.submitter.submit(transaction.0).await;
			let fate = async {
				match submitted {
					// The pool gossips it to the other validators; its fate ends the broadcast.
					Ok(hash) => {
						fate(hash, &mut finalized, &mut pool).await;
					}
					// Not reported (the spec's rule); it still holds its place until stopped.
					Err(error) => {
						tracing::debug!(target: "rpc", "transaction_v1_broadcast {op}: {error}");
						std::future::pending::<()>().await
					}
				}
			};
			tokio::select! {
				() = fate => {},
				_ = stopped => {},
				() = tokio::time::sleep(BROADCAST_LIFETIME) => {},
			}
			this.broadcasts.lock().remove(&op);
		});
		Ok(Some(id))
	}

	fn stop(&self, ext: &Extensions, operation_id: String) -> RpcResult<()> {
		let connection = ext.get::<ConnectionId>().copied().unwrap_or(ConnectionId(usize::MAX));
		let mut broadcasts = self.broadcasts.lock();
		// Another connection's broadcast is as unknown as a made-up one.
		match broadcasts.get(&operation_id) {
			Some((owner, _)) if *owner == connection => {
				broadcasts.remove(&operation_id);
				Ok(())
			}
			_ => Err(ErrorObjectOwned::from(ErrorObject::owned(
				UNKNOWN_BROADCAST,
				format!(
					"no broadcast {operation_id} is open on this connection: it ended (its \
					 transaction was finalized or dropped) or was never started here"
				),
				None::<()>,
			))),
		}
	}
}

#[async_trait]
impl TransactionWatchApiServer for Transactions {
	async fn submit_and_watch(
		&self,
		pending: PendingSubscriptionSink,
		transaction: Bytes,
	) -> SubscriptionResult {
		self.node.metrics.rpc_calls.inc();
		let mut finalized = self.node.finalized.subscribe();
		let mut pool = self.node.pool.subscribe();
		let sink = pending.accept().await?;
		let hash = match self.node.submitter.submit(transaction.0).await {
			Ok(hash) => hash,
			Err(error) => return send(&sink, refused(error)).await,
		};
		send(&sink, TransactionEvent::Validated).await?;
		let last = tokio::select! {
			fate = fate(hash, &mut finalized, &mut pool) => match fate {
				Fate::Finalized(at) => {
					let index = self.index_in(at, hash).unwrap_or_default();
					let block = TransactionBlock { hash: at, index };
					let included = TransactionEvent::BestChainBlockIncluded { block: Some(block.clone()) };
					send(&sink, included).await?;
					TransactionEvent::Finalized { block }
				}
				Fate::Invalid => TransactionEvent::Invalid {
					error: "the runtime found it invalid when the pool checked it again after a \
						block: check its nonce and that its signer may still sign"
						.into(),
				},
				Fate::Dropped => TransactionEvent::Dropped {
					error: "evicted from the full pool for a sender holding fewer transactions: \
						submit it again"
						.into(),
				},
				Fate::Closed => TransactionEvent::Error { error: "the node is shutting down".into() },
			},
			() = sink.closed() => return Ok(()),
		};
		send(&sink, last).await
	}
}

async fn send(sink: &jsonrpsee::SubscriptionSink, event: TransactionEvent) -> SubscriptionResult {
	sink.send(SubscriptionMessage::from_json(&event)?).await?;
	Ok(())
}
